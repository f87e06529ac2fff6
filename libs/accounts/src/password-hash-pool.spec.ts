import bcrypt from 'bcryptjs';
import { isPasswordHashPoolBusyError, PasswordHashPool } from './password-hash-pool';

describe('PasswordHashPool (bcrypt on worker threads)', () => {
  let pool: PasswordHashPool;

  afterEach(async () => {
    await pool.close();
  });

  it('hashes on a worker thread what bcryptjs on this thread verifies, and the other way round', async () => {
    pool = new PasswordHashPool(2, 10);
    const hash = await pool.hash('a long enough password', 4);
    expect(bcrypt.compareSync('a long enough password', hash)).toBe(true);
    // A hash made before the pool existed (bcryptjs on the event loop) still verifies.
    const legacy = bcrypt.hashSync('an older password', 4);
    await expect(pool.compare('an older password', legacy)).resolves.toBe(true);
    await expect(pool.compare('not it', legacy)).resolves.toBe(false);
  });

  it('runs more tasks than threads by queueing them, each answered with its own result', async () => {
    pool = new PasswordHashPool(2, 10);
    const passwords = Array.from({ length: 6 }, (_, index) => `password number ${index}`);
    const hashes = await Promise.all(passwords.map((password) => pool.hash(password, 4)));
    const checks = await Promise.all(hashes.map((hash, index) => pool.compare(passwords[(index + 1) % passwords.length], hash)));
    expect(checks).toEqual(passwords.map(() => false));
    expect(await Promise.all(hashes.map((hash, index) => pool.compare(passwords[index], hash)))).toEqual(passwords.map(() => true));
  });

  it('refuses a task when too many wait, rather than queueing without end', async () => {
    pool = new PasswordHashPool(1, 2);
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => pool.hash('a long enough password', 4)));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(3);
    const refused = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    expect(refused).toHaveLength(2);
    expect(refused.every((result) => isPasswordHashPoolBusyError(result.reason))).toBe(true);
  });

  it('reports a bcrypt error as a rejected task and keeps working', async () => {
    pool = new PasswordHashPool(1, 2);
    // bcryptjs takes a string there as a ready salt, and refuses this one.
    await expect(pool.hash('a long enough password', 'not a salt' as unknown as number)).rejects.toThrow(
      'password hashing failed: Invalid salt version',
    );
    await expect(pool.compare('x', await pool.hash('x', 4))).resolves.toBe(true);
  });
});

import { decoyHash, hashPassword, verifyPassword } from './passwords';

describe('passwords (bcrypt)', () => {
  it('hashes with a salt, so one password gives different hashes, both verifiable', async () => {
    const [first, second] = await Promise.all([hashPassword('a long enough password'), hashPassword('a long enough password')]);
    expect(first).toMatch(/^\$2[aby]\$10\$/);
    expect(first).not.toBe(second);
    await expect(verifyPassword(first, 'a long enough password')).resolves.toBe(true);
    await expect(verifyPassword(second, 'a long enough password')).resolves.toBe(true);
  });

  it('refuses a wrong password, including one differing only in case or a trailing space', async () => {
    const hash = await hashPassword('a long enough password');
    await expect(verifyPassword(hash, 'A long enough password')).resolves.toBe(false);
    await expect(verifyPassword(hash, 'a long enough password ')).resolves.toBe(false);
  });

  it('has a decoy hash that no password someone could send matches', async () => {
    const decoy = await decoyHash();
    expect(decoy).toBe(await decoyHash());
    await expect(verifyPassword(decoy, '')).resolves.toBe(false);
    await expect(verifyPassword(decoy, 'decoy')).resolves.toBe(false);
  });
});

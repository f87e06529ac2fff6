import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { loadConfig } from '@tenk/config';
import { createCatalogDataSource } from '@tenk/database';
import { uniqueName } from '@tenk/testing';
import {
  createAccount,
  deleteAccount,
  EmailTakenError,
  findAccountForLogin,
  findAccountRole,
  listAccounts,
  setAccountRole,
  setAccountRoleById,
} from './accounts';
import { verifyPassword } from './passwords';
import { User } from './user.entity';

describe('accounts in the catalog database (real PostgreSQL)', () => {
  let db: DataSource;
  const newEmail = () => `${uniqueName('accounts')}@Example.com`;

  beforeAll(async () => {
    db = createCatalogDataSource(loadConfig(), 'primary', [User], 'accounts-int-spec');
    await db.initialize();
  });

  afterAll(async () => {
    await db.destroy();
  });

  it('stores a bcrypt hash, never the password, and finds the account by email in any case', async () => {
    const email = newEmail();
    const account = await createAccount(db, { email: ` ${email} `, name: ' Ada ', password: 'a long enough password', role: 'customer' });
    expect(account).toEqual({ id: expect.any(String), email, name: 'Ada', role: 'customer' });
    const [row] = (await db.query('SELECT password_hash FROM users WHERE id = $1', [account.id])) as Array<{ password_hash: string }>;
    expect(row.password_hash).not.toContain('a long enough password');
    const found = await findAccountForLogin(db, email.toUpperCase());
    expect(found?.id).toBe(account.id);
    await expect(verifyPassword(found!.passwordHash, 'a long enough password')).resolves.toBe(true);
  });

  it('refuses a second account for the same email in another case', async () => {
    const email = newEmail();
    await createAccount(db, { email, name: 'Ada', password: 'a long enough password', role: 'customer' });
    await expect(
      createAccount(db, { email: email.toLowerCase(), name: 'Eve', password: 'a long enough password', role: 'customer' }),
    ).rejects.toBeInstanceOf(EmailTakenError);
  });

  it('promotes an existing account to admin and lists it among the admins', async () => {
    const email = newEmail();
    const account = await createAccount(db, { email, name: 'Grace', password: 'a long enough password', role: 'customer' });
    const promoted = await setAccountRole(db, email.toLowerCase(), 'admin');
    expect(promoted).toEqual({ ...account, role: 'admin' });
    expect((await findAccountForLogin(db, email))?.role).toBe('admin');
    const admins = await listAccounts(db, 'admin', 10_000);
    expect(admins.map((admin) => admin.id)).toContain(account.id);
    expect(admins.every((admin) => admin.role === 'admin')).toBe(true);
  });

  it('promotes no one when no account has the email', async () => {
    await expect(setAccountRole(db, newEmail(), 'admin')).resolves.toBeNull();
  });
});

describe('role changes and deletion by id (real PostgreSQL)', () => {
  let db: DataSource;
  const newEmail = () => `${uniqueName('accounts')}@example.com`;

  beforeAll(async () => {
    db = createCatalogDataSource(loadConfig(), 'primary', [User], 'accounts-int-spec');
    await db.initialize();
  });

  afterAll(async () => {
    await db.destroy();
  });

  it('changes the role of the account with an id, and reads it back', async () => {
    const account = await createAccount(db, { email: newEmail(), name: 'Grace', password: 'a long enough password', role: 'admin' });
    await expect(setAccountRoleById(db, account.id, 'customer')).resolves.toEqual({ ...account, role: 'customer' });
    await expect(findAccountRole(db, account.id)).resolves.toBe('customer');
    await expect(setAccountRoleById(db, randomUUID(), 'admin')).resolves.toBeNull();
  });

  it('deletes the account with an id, once: its email is free again', async () => {
    const email = newEmail();
    const account = await createAccount(db, { email, name: 'Eve', password: 'a long enough password', role: 'customer' });
    await expect(deleteAccount(db, account.id)).resolves.toEqual(account);
    await expect(deleteAccount(db, account.id)).resolves.toBeNull();
    await expect(findAccountRole(db, account.id)).resolves.toBeNull();
    await expect(findAccountForLogin(db, email)).resolves.toBeNull();
    await expect(
      createAccount(db, { email, name: 'Eve again', password: 'a long enough password', role: 'customer' }),
    ).resolves.toMatchObject({ email });
  });
});

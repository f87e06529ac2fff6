import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { hashPassword } from './passwords';
import { User, type Role } from './user.entity';

const UNIQUE_VIOLATION = '23505';

export interface NewAccount {
  email: string;
  name: string;
  password: string;
  role: Role;
}

export interface AccountView {
  id: string;
  email: string;
  name: string;
  role: Role;
}

/** Thrown when an account for the email already exists (emails are unique, any case). */
export class EmailTakenError extends Error {
  constructor(readonly email: string) {
    super(`an account for ${email} already exists; sign in instead`);
    this.name = 'EmailTakenError';
  }
}

/** Creates an account with a hashed password: used by signup and by the admin CLI. */
export async function createAccount(db: DataSource, input: NewAccount): Promise<AccountView> {
  const repository = db.getRepository(User);
  const user = repository.create({
    id: randomUUID(),
    email: input.email.trim(),
    name: input.name.trim(),
    passwordHash: await hashPassword(input.password),
    role: input.role,
  });
  try {
    await repository.insert(user);
  } catch (error) {
    if ((error as { code?: string }).code === UNIQUE_VIOLATION) throw new EmailTakenError(input.email);
    throw error;
  }
  return toAccountView(user);
}

/** The user with their password hash, for login only. Emails match case-insensitively. */
export function findAccountForLogin(db: DataSource, email: string): Promise<User | null> {
  return db
    .getRepository(User)
    .createQueryBuilder('u')
    .addSelect('u.passwordHash')
    .where('lower(u.email) = lower(:email)', { email: email.trim() })
    .getOne();
}

/** Gives an existing account another role; returns it, or null when no account has the email. */
export async function setAccountRole(db: DataSource, email: string, role: Role): Promise<AccountView | null> {
  const repository = db.getRepository(User);
  const user = await repository.createQueryBuilder('u').where('lower(u.email) = lower(:email)', { email: email.trim() }).getOne();
  if (!user) return null;
  if (user.role !== role) await repository.update({ id: user.id }, { role });
  return toAccountView({ ...user, role });
}

/** The account's current role, or null when it no longer exists (sign-in checks it again after making the session). */
export async function findAccountRole(db: DataSource, id: string): Promise<Role | null> {
  const user = await db.getRepository(User).findOne({ where: { id }, select: { id: true, role: true } });
  return user?.role ?? null;
}

/** Gives the account with this id another role; returns it, or null when there is no such account. */
export async function setAccountRoleById(db: DataSource, id: string, role: Role): Promise<AccountView | null> {
  const repository = db.getRepository(User);
  const user = await repository.findOne({ where: { id } });
  if (!user) return null;
  if (user.role !== role) await repository.update({ id }, { role });
  return toAccountView({ ...user, role });
}

/** Deletes the account with this id; returns what it was, or null when there was none. */
export async function deleteAccount(db: DataSource, id: string): Promise<AccountView | null> {
  const result = await db
    .getRepository(User)
    .createQueryBuilder()
    .delete()
    .where('id = :id', { id })
    .returning(['id', 'email', 'name', 'role'])
    .execute();
  const [row] = result.raw as AccountView[];
  return row ? { id: row.id, email: row.email, name: row.name, role: row.role } : null;
}

/** Accounts with a role, oldest first (the admin CLI lists admins with it). */
export async function listAccounts(db: DataSource, role: Role, limit = 100): Promise<Array<AccountView & { createdAt: Date }>> {
  const users = await db.getRepository(User).find({ where: { role }, order: { createdAt: 'ASC' }, take: limit });
  return users.map((user) => ({ ...toAccountView(user), createdAt: user.createdAt }));
}

export function toAccountView(user: User): AccountView {
  return { id: user.id, email: user.email, name: user.name, role: user.role };
}

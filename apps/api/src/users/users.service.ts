import { HttpException, HttpStatus, Injectable } from '@nestjs/common';
import {
  createAccount,
  decoyHash,
  deleteAccount,
  EmailTakenError,
  findAccountForLogin,
  findAccountRole,
  isPasswordHashPoolBusyError,
  setAccountRoleById,
  toAccountView,
  verifyPassword,
  type AccountView,
  type NewAccount,
  type Role,
} from '@tenk/accounts';
import { CatalogDatabase } from '@tenk/database';

/** What a sign-up did: made the account, or found one for that email already (nothing changed). */
export type Registration = { kind: 'created'; account: AccountView } | { kind: 'existing'; account: AccountView };

/** Seconds a client waits when every password thread is busy. */
const HASHING_BUSY_RETRY_SECONDS = 2;

@Injectable()
export class UsersService {
  constructor(private readonly db: CatalogDatabase) {}

  /**
   * Creates the account, or finds the one that has the email already (in any letter case). The
   * password is hashed either way, so both take as long.
   */
  async register(input: NewAccount): Promise<Registration> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return { kind: 'created', account: await hashing(() => createAccount(this.db.primary, input)) };
      } catch (error) {
        if (!(error instanceof EmailTakenError)) throw error;
        const existing = await findAccountForLogin(this.db.primary, input.email);
        if (existing) return { kind: 'existing', account: toAccountView(existing) };
        // Deleted since the insert failed: the email is free again, so try again (not forever).
        if (attempt === 3) throw error;
      }
    }
  }

  /**
   * The account whose email and password these are, or null. Unknown emails are checked against
   * a decoy hash, so both answers take as long.
   */
  async signIn(email: string, password: string): Promise<AccountView | null> {
    const user = await findAccountForLogin(this.db.primary, email);
    const valid = await hashing(async () => verifyPassword(user?.passwordHash ?? (await decoyHash()), password));
    return user && valid ? toAccountView(user) : null;
  }

  /** The account's role now (null: deleted), read from the primary. */
  currentRole(id: string): Promise<Role | null> {
    return findAccountRole(this.db.primary, id);
  }

  changeRole(id: string, role: Role): Promise<AccountView | null> {
    return setAccountRoleById(this.db.primary, id, role);
  }

  delete(id: string): Promise<AccountView | null> {
    return deleteAccount(this.db.primary, id);
  }
}

/** Password work, with "every hashing thread is busy" answered as a 503 to retry shortly. */
async function hashing<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!isPasswordHashPoolBusyError(error)) throw error;
    throw new HttpException(
      {
        statusCode: 503,
        error: 'Service Unavailable',
        message: `too many sign-ins and sign-ups at once (${error.message}); try again in ${HASHING_BUSY_RETRY_SECONDS} s`,
        retryAfterSeconds: HASHING_BUSY_RETRY_SECONDS,
      },
      HttpStatus.SERVICE_UNAVAILABLE,
    );
  }
}

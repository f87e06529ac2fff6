import { ConflictException, Injectable } from '@nestjs/common';
import { createAccount, EmailTakenError, findAccountForLogin, type AccountView, type NewAccount, type User } from '@tenk/accounts';
import { CatalogDatabase } from '@tenk/database';
import { AuthMetrics } from '../auth/auth.metrics';

@Injectable()
export class UsersService {
  constructor(
    private readonly db: CatalogDatabase,
    private readonly metrics: AuthMetrics,
  ) {}

  /** Creates the account (409 when the email is taken, in any letter case). */
  async create(input: NewAccount): Promise<AccountView> {
    try {
      const account = await createAccount(this.db.primary, input);
      this.metrics.signup('created');
      return account;
    } catch (error) {
      if (error instanceof EmailTakenError) {
        this.metrics.signup('email_taken');
        throw new ConflictException(error.message);
      }
      throw error;
    }
  }

  /** The user and their password hash, for login only. */
  findForLogin(email: string): Promise<User | null> {
    return findAccountForLogin(this.db.primary, email);
  }
}

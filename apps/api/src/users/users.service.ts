import { ConflictException, Injectable } from '@nestjs/common';
import { createAccount, EmailTakenError, findAccountForLogin, type AccountView, type NewAccount, type User } from '@tenk/accounts';
import { CatalogDatabase } from '@tenk/database';

@Injectable()
export class UsersService {
  constructor(private readonly db: CatalogDatabase) {}

  async create(input: NewAccount): Promise<AccountView> {
    try {
      return await createAccount(this.db.primary, input);
    } catch (error) {
      if (error instanceof EmailTakenError) throw new ConflictException(error.message);
      throw error;
    }
  }

  /** The user and their password hash, for login only. */
  findForLogin(email: string): Promise<User | null> {
    return findAccountForLogin(this.db.primary, email);
  }
}

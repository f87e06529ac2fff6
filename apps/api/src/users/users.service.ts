import { ConflictException, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { CatalogDatabase } from '@tenk/database';
import { hashPassword } from '../auth/passwords';
import type { Role } from '../auth/session-user';
import type { UserView } from './users.dto';
import { User } from './user.entity';

const UNIQUE_VIOLATION = '23505';

@Injectable()
export class UsersService {
  constructor(private readonly db: CatalogDatabase) {}

  async create(input: { email: string; name: string; password: string; role: Role }): Promise<UserView> {
    const user = this.db.primary.getRepository(User).create({
      id: randomUUID(),
      email: input.email.trim(),
      name: input.name.trim(),
      passwordHash: await hashPassword(input.password),
      role: input.role,
    });
    try {
      await this.db.primary.getRepository(User).insert(user);
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) throw new ConflictException(`an account for ${input.email} already exists; sign in instead`);
      throw error;
    }
    return toUserView(user);
  }

  /** The user and their password hash, for login only. Emails match case-insensitively. */
  findForLogin(email: string): Promise<User | null> {
    return this.db.primary
      .getRepository(User)
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('lower(u.email) = lower(:email)', { email: email.trim() })
      .getOne();
  }
}

export function toUserView(user: User): UserView {
  return { id: user.id, email: user.email, name: user.name, role: user.role };
}

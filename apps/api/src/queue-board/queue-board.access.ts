import { ForbiddenException, Injectable, NestMiddleware, UnauthorizedException } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { readSessionCookie } from '../auth/session-cookie';
import { SessionStore } from '../auth/session.store';

/**
 * Bull Board is Express middleware, outside Nest's guards: this middleware in front of it
 * applies the admin rule itself (a session, and the admin role). Jobs carry customer data.
 */
@Injectable()
export class QueueBoardAccess implements NestMiddleware {
  constructor(private readonly sessions: SessionStore) {}

  use(req: Request, _res: Response, next: NextFunction): void {
    this.#check(req).then(
      () => next(),
      (error: unknown) => next(error),
    );
  }

  async #check(req: Request): Promise<void> {
    const token = readSessionCookie(req);
    const user = token ? await this.sessions.get(token) : undefined;
    if (!user) throw new UnauthorizedException('sign in as an admin first: the queue board needs a session (POST /auth/login)');
    if (user.role !== 'admin') throw new ForbiddenException('the queue board needs the admin role');
  }
}

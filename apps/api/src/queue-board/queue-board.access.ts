import { ForbiddenException, Injectable, NestMiddleware, UnauthorizedException } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { InjectConfig, type TenkConfig } from '@tenk/config';
import { crossSiteRefusal, STATE_CHANGING_METHODS } from '../auth/request-origin';
import { readSessionCookie } from '../auth/session-cookie';
import { SessionStore } from '../auth/session.store';

/**
 * Bull Board is Express middleware, outside Nest's guards: this middleware in front of it
 * applies the admin rule itself (a session, and the admin role), and CsrfGuard's cross-site
 * rule to its retry and clean buttons. Jobs carry customer data.
 */
@Injectable()
export class QueueBoardAccess implements NestMiddleware {
  readonly #publicOrigin: string;

  constructor(
    private readonly sessions: SessionStore,
    @InjectConfig() config: TenkConfig,
  ) {
    this.#publicOrigin = new URL(config.services.publicUrl).origin;
  }

  use(req: Request, _res: Response, next: NextFunction): void {
    this.#check(req).then(
      () => next(),
      (error: unknown) => next(error),
    );
  }

  async #check(req: Request): Promise<void> {
    const refusal = STATE_CHANGING_METHODS.has(req.method) ? crossSiteRefusal(req.headers, this.#publicOrigin) : undefined;
    if (refusal) throw new ForbiddenException(refusal);
    const token = readSessionCookie(req);
    const user = token ? await this.sessions.get(token) : undefined;
    if (!user) throw new UnauthorizedException('sign in as an admin first: the queue board needs a session (POST /auth/login)');
    if (user.role !== 'admin') throw new ForbiddenException('the queue board needs the admin role');
  }
}

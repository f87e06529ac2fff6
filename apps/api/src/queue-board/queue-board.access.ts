import { ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { InjectConfig, type TenkConfig } from '@tenk/config';
import { crossSiteRefusal, STATE_CHANGING_METHODS } from '../auth/request-origin';
import { readSessionCookie } from '../auth/session-cookie';
import { SessionStore } from '../auth/session.store';

/**
 * Bull Board is a Fastify plugin, outside Nest's guards: this check in front of it applies the
 * admin rule itself (a session, and the admin role), and CsrfGuard's cross-site rule to its
 * retry and clean buttons. Jobs carry customer data. QueueBoardModule runs it as a request hook
 * on every route of the board, the page included (by the matched route, so neither case nor
 * percent-encoding in the URL dodges it). Not as Nest middleware too: that put every request of
 * the api through @fastify/middie for a check the hook already made.
 */
@Injectable()
export class QueueBoardAccess {
  readonly #publicOrigin: string;

  constructor(
    private readonly sessions: SessionStore,
    @InjectConfig() config: TenkConfig,
  ) {
    this.#publicOrigin = new URL(config.services.publicUrl).origin;
  }

  async check(req: IncomingMessage): Promise<void> {
    const refusal = STATE_CHANGING_METHODS.has(req.method ?? 'GET') ? crossSiteRefusal(req.headers, this.#publicOrigin) : undefined;
    if (refusal) throw new ForbiddenException(refusal);
    const token = readSessionCookie(req);
    const user = token ? await this.sessions.get(token) : undefined;
    if (!user) throw new UnauthorizedException('sign in as an admin first: the queue board needs a session (POST /auth/login)');
    if (user.role !== 'admin') throw new ForbiddenException('the queue board needs the admin role');
  }
}

import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Injectable,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PUBLIC_ROUTE } from '@tenk/observability';
import { ROLES } from './auth.decorators';
import { readSessionCookie } from './session-cookie';
import { SessionStore } from './session.store';
import type { Role, SessionUser } from './session-user';

/**
 * Global guard: resolves the session cookie into `req.user`, then enforces the route's
 * access rule. Routes need a session unless marked @Public(); @Roles() narrows further.
 */
@Injectable()
export class SessionGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly sessions: SessionStore,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<FastifyRequest & { user?: SessionUser }>();
    const token = readSessionCookie(req);
    const targets = [context.getHandler(), context.getClass()];
    const isPublic = this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets) === true;
    if (token) {
      try {
        req.user = await this.sessions.get(token);
      } catch (error) {
        // Sessions live in Redis; without it public routes still work, private ones cannot.
        // 503, not 401: the session may well be valid, and the client should retry, not sign in.
        if (!isPublic) {
          context.switchToHttp().getResponse<FastifyReply>().header('Retry-After', '5');
          throw new ServiceUnavailableException(`sessions are unavailable right now (${(error as Error).message}); try again shortly`);
        }
      }
    }
    if (isPublic) return true;
    if (!req.user) throw new UnauthorizedException('sign in first: this route needs a session (POST /auth/login)');
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES, targets);
    if (roles && !roles.includes(req.user.role)) throw new ForbiddenException(`this route needs the ${roles.join(' or ')} role`);
    return true;
  }
}

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
import { PerRoute, PUBLIC_ROUTE } from '@tenk/observability';
import { ROLES } from './auth.decorators';
import { readSessionCookie } from './session-cookie';
import { SessionStore } from './session.store';
import type { Role, SessionUser } from './session-user';

/**
 * Global guard: resolves the session cookie into `req.user`, then enforces the route's
 * access rule. Routes need a session unless marked @Public(); @Roles() narrows further.
 */
/** A route's access rule. */
interface AccessRule {
  isPublic: boolean;
  roles: Role[] | undefined;
}

@Injectable()
export class SessionGuard implements CanActivate {
  readonly #rules = new PerRoute<AccessRule>((handler, controller) => ({
    isPublic: this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [handler, controller]) === true,
    roles: this.reflector.getAllAndOverride<Role[] | undefined>(ROLES, [handler, controller]),
  }));

  constructor(
    private readonly reflector: Reflector,
    private readonly sessions: SessionStore,
  ) {}

  /** Synchronous without a session cookie (most public reads): no session to look up, nothing to await. */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<FastifyRequest & { user?: SessionUser }>();
    const rule = this.#rules.of(context);
    const token = readSessionCookie(req);
    if (!token) return admit(rule, req.user);
    return this.sessions.get(token).then(
      (user) => {
        req.user = user;
        return admit(rule, user);
      },
      (error: unknown) => {
        // Sessions live in Redis; without it public routes still work, private ones cannot.
        // 503, not 401: the session may well be valid, and the client should retry, not sign in.
        if (rule.isPublic) return true;
        context.switchToHttp().getResponse<FastifyReply>().header('Retry-After', '5');
        throw new ServiceUnavailableException(`sessions are unavailable right now (${(error as Error).message}); try again shortly`);
      },
    );
  }
}

function admit(rule: AccessRule, user: SessionUser | undefined): boolean {
  if (rule.isPublic) return true;
  if (!user) throw new UnauthorizedException('sign in first: this route needs a session (POST /auth/login)');
  if (rule.roles && !rule.roles.includes(user.role)) throw new ForbiddenException(`this route needs the ${rule.roles.join(' or ')} role`);
  return true;
}

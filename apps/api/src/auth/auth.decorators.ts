import { createParamDecorator, ExecutionContext, SetMetadata, UnauthorizedException } from '@nestjs/common';
import { PublicRoute } from '@tenk/observability';
import type { Role, SessionUser } from './session-user';

export const ROLES = 'tenk:roles';

/** Open to anonymous callers. Every other route needs a signed-in user. */
export const Public = PublicRoute;

/** Needs a signed-in user with one of these roles (403 otherwise). */
export const Roles = (...roles: Role[]): ClassDecorator & MethodDecorator => SetMetadata(ROLES, roles);

/** The signed-in user (routes that are not @Public() always have one). */
export const CurrentUser = createParamDecorator((_data: unknown, context: ExecutionContext): SessionUser => {
  const user = context.switchToHttp().getRequest<{ user?: SessionUser }>().user;
  if (!user) throw new UnauthorizedException('sign in first: this route needs a session');
  return user;
});

import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata, UnauthorizedException } from '@nestjs/common';
import { ApiConsumes } from '@nestjs/swagger';
import { PublicRoute } from '@tenk/observability';
import type { Role, SessionUser } from './session-user';

export const ROLES = 'tenk:roles';
export const BODY_TYPES = 'tenk:body-types';

/** Open to anonymous callers. Every other route needs a signed-in user. */
export const Public = PublicRoute;

/** Needs a signed-in user with one of these roles (403 otherwise). */
export const Roles = (...roles: Role[]): ClassDecorator & MethodDecorator => SetMetadata(ROLES, roles);

/**
 * The request bodies a state-changing route takes besides none (`video/*` for any video type);
 * without it, JSON only (CsrfGuard answers anything else with 415). Also documents them.
 */
export const AcceptsBody = (...mediaTypes: string[]): MethodDecorator =>
  applyDecorators(SetMetadata(BODY_TYPES, mediaTypes), ApiConsumes(...mediaTypes));

/** The signed-in user (routes that are not @Public() always have one). */
export const CurrentUser = createParamDecorator((_data: unknown, context: ExecutionContext): SessionUser => {
  const user = context.switchToHttp().getRequest<{ user?: SessionUser }>().user;
  if (!user) throw new UnauthorizedException('sign in first: this route needs a session');
  return user;
});

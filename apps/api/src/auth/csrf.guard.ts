import { CanActivate, ExecutionContext, ForbiddenException, HttpException, HttpStatus, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { InjectConfig, type TenkConfig } from '@tenk/config';
import { BODY_TYPES } from './auth.decorators';
import { acceptsMediaType, crossSiteRefusal, hasBody, mediaTypeOf, STATE_CHANGING_METHODS } from './request-origin';

const JSON_ONLY = ['application/json'];

/**
 * Global guard against cross-site request forgery, for every state-changing route (runs before
 * SessionGuard). Two rules, each enough against a browser on its own:
 * - a request another site made is refused (403; see crossSiteRefusal);
 * - the body must be JSON, or a type the route declares with @AcceptsBody() (uploads): a form
 *   post or `text/plain` is a 415. A browser sends JSON across sites only after a CORS
 *   preflight, which the api never answers, so no other site can send it at all.
 */
@Injectable()
export class CsrfGuard implements CanActivate {
  readonly #publicOrigin: string;

  constructor(
    private readonly reflector: Reflector,
    @InjectConfig() config: TenkConfig,
  ) {
    this.#publicOrigin = new URL(config.services.publicUrl).origin;
  }

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    if (!STATE_CHANGING_METHODS.has(req.method)) return true;
    const refusal = crossSiteRefusal(req.headers, this.#publicOrigin);
    if (refusal) throw new ForbiddenException(refusal);
    const accepted =
      this.reflector.getAllAndOverride<string[] | undefined>(BODY_TYPES, [context.getHandler(), context.getClass()]) ?? JSON_ONLY;
    const type = mediaTypeOf(req.headers);
    if (type === undefined ? hasBody(req.headers) : !acceptsMediaType(accepted, type)) {
      const wanted = accepted === JSON_ONLY ? 'a JSON body (Content-Type: application/json)' : `a body of type ${accepted.join(', ')}`;
      throw new HttpException(
        {
          statusCode: 415,
          error: 'Unsupported Media Type',
          message: `${req.method} ${req.url.split('?')[0]} takes ${wanted}; got ${type ? `Content-Type ${type}` : 'a body without Content-Type'}`,
        },
        HttpStatus.UNSUPPORTED_MEDIA_TYPE,
      );
    }
    return true;
  }
}

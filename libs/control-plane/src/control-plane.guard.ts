import { CanActivate, ExecutionContext, HttpException, Inject, Injectable } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkControlRequest } from './control-request';
import { CONTROL_PLANE_OPTIONS, type ControlPlaneOptions } from './control-plane.module-definition';

/**
 * checkControlRequest for a Nest app, on every route: read-only ones need this server's Host,
 * state-changing ones the token, a same-origin Origin and a JSON body as well.
 */
@Injectable()
export class ControlPlaneGuard implements CanActivate {
  constructor(@Inject(CONTROL_PLANE_OPTIONS) private readonly options: ControlPlaneOptions) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const http = context.switchToHttp();
    const refusal = checkControlRequest(http.getRequest<IncomingMessage>(), this.options);
    if (refusal === null) return true;
    // Fastify's reply (its node response under `raw`), or node's own.
    const reply = http.getResponse<ServerResponse | { raw: ServerResponse }>();
    const response = 'raw' in reply ? reply.raw : reply;
    for (const [name, value] of Object.entries(refusal.headers)) response.setHeader(name, value);
    const error = refusal.status === 401 ? 'Unauthorized' : refusal.status === 403 ? 'Forbidden' : 'Unsupported Media Type';
    throw new HttpException({ statusCode: refusal.status, error, message: refusal.message }, refusal.status);
  }
}

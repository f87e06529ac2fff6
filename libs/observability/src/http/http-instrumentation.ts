import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AsyncResource } from 'node:async_hooks';
import { AccessLogMiddleware } from '../access-log';
import { HttpMetricsMiddleware } from '../http-metrics.middleware';
import { HttpTracingMiddleware } from '../tracing/http-tracing.middleware';

/** Where a request's async context waits while fastify reads its body (see carryContextPastBodyParsing). */
const CONTEXT = 'tenkContext';

/**
 * Runs the access log and the request's span, in that order, on every request of the app's
 * HTTP adapter, before anything else the app adds (the load shedder, Nest middleware, routing):
 * Nest's Fastify adapter calls the hook set with setOnRequestHook first; the duration metric is
 * recorded from fastify's response hook (onResponse, with fastify's own timing).
 * A hook costs less than Nest middleware (no path matching, no middleware engine), and it sees
 * the router's route template (`request.routeOptions.url`) for metrics and spans. An app
 * context without HTTP (none today) gets nothing.
 */
@Injectable()
export class HttpInstrumentation implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly accessLog: AccessLogMiddleware,
    private readonly tracing: HttpTracingMiddleware,
    private readonly metrics: HttpMetricsMiddleware,
  ) {}

  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter as unknown;
    if (!(adapter instanceof FastifyAdapter)) return;
    adapter.setOnRequestHook((request: FastifyRequest, reply: FastifyReply, done: () => void) => {
      const req = request.raw;
      const res = reply.raw;
      this.accessLog.use(req, res, () => this.tracing.use(req, res, done, () => request.routeOptions.url));
    });
    const instance: FastifyInstance = adapter.getInstance();
    // The duration metric from fastify's own response hook and clock (from routing to the
    // response's 'finish', as use() timed it): no listener or closure per request.
    const metrics = this.metrics;
    instance.addHook('onResponse', (request, reply, done) => {
      metrics.observe(request.raw.method ?? 'GET', request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1_000);
      done();
    });
    carryContextPastBodyParsing(instance);
  }
}

/**
 * The request's async context (its logger, its span, the read-your-writes scope of
 * @tenk/database: AsyncLocalStorage stores entered by request hooks and middleware) lives on
 * while the handler runs only if nothing breaks the chain of calls. Reading a body does: fastify
 * parses it from the socket's 'data' and 'end' events, which run in the connection's context.
 * So the context is kept before parsing (preParsing, requests that may carry a body) and
 * entered again after it (preValidation), before guards and the handler run.
 */
export function carryContextPastBodyParsing(instance: FastifyInstance): void {
  instance.decorateRequest(CONTEXT, null);
  instance.addHook('preParsing', (request, _reply, payload, done) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') contextHolder(request)[CONTEXT] = new AsyncResource('tenk.http.request');
    done(null, payload);
  });
  instance.addHook('preValidation', (request, _reply, done) => {
    const kept = contextHolder(request)[CONTEXT];
    if (kept === null) return done();
    contextHolder(request)[CONTEXT] = null;
    kept.runInAsyncScope(done);
  });
}

function contextHolder(request: FastifyRequest): { [CONTEXT]: AsyncResource | null } {
  return request as unknown as { [CONTEXT]: AsyncResource | null };
}

import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { ReadYourWritesMiddleware } from './read-your-writes.middleware';

/**
 * Runs ReadYourWritesMiddleware on every request as a request hook of the app's Fastify
 * adapter, not as Nest middleware: it was the app's last Nest middleware, and Nest middleware
 * on Fastify goes through @fastify/middie's engine (the URL decoded and matched against each
 * middleware's path, the request's fields copied onto node's request, a promise per
 * middleware) on every request, for a middleware that matches every route anyway. Added when
 * the module initialises: after the app's own request hooks (the load shedder's, which answers
 * a shed request before it), before body parsing, guards and handlers, whose async context
 * (carryContextPastBodyParsing in @tenk/observability) keeps the scope it opens. An app context
 * without HTTP gets nothing.
 */
@Injectable()
export class ReadYourWritesHook implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly middleware: ReadYourWritesMiddleware,
  ) {}

  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter;
    if (adapter?.getType() !== 'fastify') return;
    const middleware = this.middleware;
    adapter.getInstance<FastifyInstance>().addHook('onRequest', (request, reply, done) => middleware.use(request.raw, reply.raw, done));
  }
}

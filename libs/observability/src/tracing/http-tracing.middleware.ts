import { Injectable } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, trace, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { extractTraceContext, tracer, tracingEnabled } from './tracing';

const QUIET_PATHS = /^\/(health|metrics)(\/|$|\?)/;

/** The matched route template (`/products/:id`) once routing is done; undefined when no route matched. */
export type RouteOf = () => string | undefined;

/**
 * One SERVER span per HTTP request (health and metrics probes left out): it continues the
 * caller's trace from `traceparent` (the balancer's span) or starts one, is active while the
 * route runs (so spans and log lines below it join the trace), and ends with the response's
 * status and the matched route template. Nothing at all when tracing is off. The access log
 * line is written when the response finishes, inside this context: the logger's mixin gives it
 * the request's trace_id and span_id. Plain node:http types: ObservabilityModule runs it from
 * the HTTP adapter's request hook, with the router's `routeOf`.
 */
@Injectable()
export class HttpTracingMiddleware {
  use(req: IncomingMessage, res: ServerResponse, next: () => void, routeOf: RouteOf = () => undefined): void {
    const url = req.url ?? '/';
    if (!tracingEnabled() || QUIET_PATHS.test(url)) return next();
    const parent = extractTraceContext(req.headers);
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    const span = tracer().startSpan(
      `${req.method} ${path}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'url.path': path } },
      parent,
    );
    res.once('finish', () => {
      const route = routeOf();
      if (route) {
        span.setAttribute('http.route', route);
        span.updateName(`${req.method} ${route}`);
      }
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    res.once('close', () => {
      if (!res.writableFinished) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: 'the client went away before the response was sent' });
        span.end();
      }
    });
    context.with(trace.setSpan(parent, span), next);
  }
}

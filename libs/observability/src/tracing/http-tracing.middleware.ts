import { Injectable } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, ROOT_CONTEXT, trace, SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';
import { DeferredSpan } from './deferred-span';
import { startRequestSpan, tracingEnabled } from './tracing';

const QUIET_PATHS = /^\/(health|metrics)(\/|$|\?)/;

/** The matched route template (`/products/:id`) once routing is done; undefined when no route matched. */
export type RouteOf = () => string | undefined;

/**
 * One SERVER span per HTTP request (health and metrics probes left out): it continues the
 * caller's trace from `traceparent` (the balancer's span) or starts one, is active while the
 * route runs (so spans and log lines below it join the trace), and ends with the response's
 * status and the matched route template. A request the ratio left out gets a DeferredSpan (ids
 * and a start time, no SDK span: sent after the fact if it answers 5xx or the client goes away
 * first). Nothing at all when tracing is off. The access log line is written when the response
 * closes, inside this context: the logger's mixin gives it the request's trace_id and span_id.
 * Plain node:http types: ObservabilityModule runs it from the HTTP adapter's request hook, with
 * the router's `routeOf`.
 */
@Injectable()
export class HttpTracingMiddleware {
  use(req: IncomingMessage, res: ServerResponse, next: () => void, routeOf: RouteOf = () => undefined): void {
    const url = req.url ?? '/';
    if (!tracingEnabled() || QUIET_PATHS.test(url)) return next();
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    const method = req.method ?? 'GET';
    const traceparent = req.headers.traceparent;
    const span = startRequestSpan(
      `${method} ${path}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': method, 'url.path': path } },
      typeof traceparent === 'string' ? traceparent : undefined,
    );
    // 'close' follows 'finish', and comes alone when the client went away first.
    res.once('close', () => endRequestSpan(span, res, routeOf));
    context.with(trace.setSpan(ROOT_CONTEXT, span), next);
  }
}

function endRequestSpan(span: Span, res: ServerResponse, routeOf: RouteOf): void {
  if (!res.writableFinished) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'the client went away before the response was sent' });
  } else {
    // A deferred span nothing failed under is dropped (unless slow): its attributes are not worth setting.
    const failed = res.statusCode >= 500;
    if (!failed && span instanceof DeferredSpan && !span.kept) return span.end();
    const route = routeOf();
    if (route) {
      span.setAttribute('http.route', route);
      span.updateName(`${res.req.method ?? 'GET'} ${route}`);
    }
    span.setAttribute('http.response.status_code', res.statusCode);
    if (failed) span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}

import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { context, trace, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { extractTraceContext, tracer, tracingEnabled } from './tracing';

const QUIET_PATHS = /^\/(health|metrics)(\/|$|\?)/;

/**
 * One SERVER span per HTTP request (health and metrics probes left out): it continues the
 * caller's trace from `traceparent` (the balancer's span) or starts one, is active while the
 * route runs (so spans and log lines below it join the trace), and ends with the response's
 * status and the matched route template. Nothing at all when tracing is off. The access log
 * line is written when the response finishes, inside this context: the logger's mixin gives it
 * the request's trace_id and span_id.
 */
@Injectable()
export class HttpTracingMiddleware implements NestMiddleware {
  use(req: Request, res: Response, next: NextFunction): void {
    if (!tracingEnabled() || QUIET_PATHS.test(req.originalUrl)) return next();
    const parent = extractTraceContext(req.headers);
    const span = tracer().startSpan(
      `${req.method} ${req.baseUrl}${req.path}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'url.path': req.originalUrl.split('?')[0] } },
      parent,
    );
    res.once('finish', () => {
      const route = (req.route as { path?: string } | undefined)?.path;
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

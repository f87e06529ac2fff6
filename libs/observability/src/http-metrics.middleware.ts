import { Injectable } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Histogram } from 'prom-client';
import { MetricsService } from './metrics.service';
import type { RouteOf } from './tracing/http-tracing.middleware';

/**
 * Times every HTTP request into `http_server_request_duration_seconds{method,route,status}`.
 * The route is the matched template (`/products/:id`), never the raw URL, so ids do not
 * explode the metric's cardinality; `unmatched` when no route matched.
 */
@Injectable()
export class HttpMetricsMiddleware {
  readonly #duration: Histogram<'method' | 'route' | 'status'>;
  /** Label children by `method route status`: prom-client otherwise hashes the label object on every observe. */
  readonly #children = new Map<string, { observe(seconds: number): void }>();

  constructor(metrics: MetricsService) {
    this.#duration = metrics.histogram(
      'http_server_request_duration_seconds',
      'HTTP requests served, by method, route template and status code',
      ['method', 'route', 'status'],
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    );
  }

  use(req: IncomingMessage, res: ServerResponse, next: () => void, routeOf: RouteOf = () => undefined): void {
    const started = process.hrtime.bigint();
    res.once('finish', () => this.observe(req.method ?? 'GET', routeOf(), res.statusCode, Number(process.hrtime.bigint() - started) / 1e9));
    next();
  }

  /**
   * One request served: `route` is the matched template, undefined when none matched. Called by
   * use() above, or by an adapter's own response hook with the time the adapter measured
   * (HttpInstrumentation: no listener or closure per request).
   */
  observe(method: string, route: string | undefined, status: number, seconds: number): void {
    const key = `${method} ${route} ${status}`;
    let child = this.#children.get(key);
    if (!child) {
      child = this.#duration.labels(method, route ?? 'unmatched', String(status));
      this.#children.set(key, child);
    }
    child.observe(seconds);
  }
}

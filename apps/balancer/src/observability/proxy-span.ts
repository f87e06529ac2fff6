import type { IncomingMessage } from 'node:http';
import { rawHeader } from '../http/variables';
import { extractTraceContext, SpanKind, SpanStatusCode, traceparentOf, tracer, type Span } from '@tenk/observability/tracing';

/**
 * The span of one proxied request: it continues the client's `traceparent` (or starts a trace),
 * names the upstream and its algorithm, and is what the api's span hangs under. Only made when
 * tracing is on (the caller checks tracingEnabled(): no span work on the hot path otherwise).
 */
export function startProxySpan(req: IncomingMessage, path: string, upstream: string, algorithm: string, requestId: string): Span {
  const method = req.method ?? 'GET';
  const query = path.indexOf('?');
  return tracer().startSpan(
    `${method} ${upstream}`,
    {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': method,
        'url.path': query === -1 ? path : path.slice(0, query),
        'tenk.balancer.upstream': upstream,
        'tenk.balancer.algorithm': algorithm,
        'tenk.request_id': requestId,
      },
    },
    extractTraceContext(traceCarrier(req.rawHeaders)),
  );
}

/**
 * The client's trace headers read from Node's raw list: `req.headers` would make Node build
 * an object of every header for each request just for these two.
 */
function traceCarrier(rawHeaders: readonly string[]): Record<string, string> {
  const carrier: Record<string, string> = {};
  const traceparent = rawHeader(rawHeaders, 'traceparent');
  if (traceparent !== '') carrier.traceparent = traceparent;
  const tracestate = rawHeader(rawHeaders, 'tracestate');
  if (tracestate !== '') carrier.tracestate = tracestate;
  return carrier;
}

/**
 * The upstream request's headers with this span's `traceparent` instead of the client's (and
 * no `tracestate`): the peer continues the balancer's span, not the client's.
 */
export function withTraceparent(headers: string[], span: Span): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    if (name.length === 11 && name.toLowerCase() === 'traceparent') continue;
    if (name.length === 10 && name.toLowerCase() === 'tracestate') continue;
    out.push(name, headers[i + 1]);
  }
  const traceparent = traceparentOf(span);
  if (traceparent !== undefined) out.push('traceparent', traceparent);
  return out;
}

/**
 * The `traceresponse` header (W3C Trace Context level 2) the client gets: this span's trace id,
 * span id and sampled flag, so a slow or failed answer can be looked up in the trace store
 * (tools/load records it for the slowest requests). Ids only: nothing of the shop's inside.
 */
export function traceresponseOf(span: Span): string | null {
  return traceparentOf(span) ?? null;
}

/** Ends the span with the status the client got (5xx and 499, a client gone, are errors). */
export function endProxySpan(span: Span, status: number, upstreamStatus: number): void {
  span.setAttribute('http.response.status_code', status);
  if (upstreamStatus !== 0) span.setAttribute('tenk.balancer.upstream_status', upstreamStatus);
  if (status >= 500 || status === 499)
    span.setStatus({ code: SpanStatusCode.ERROR, message: status === 499 ? 'the client closed the connection' : `answered ${status}` });
  span.end();
}

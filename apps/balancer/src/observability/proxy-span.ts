import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import {
  epochMs,
  keepSpanAfterTheFact,
  SpanKind,
  SpanStatusCode,
  startSampledSpan,
  traceparentOf,
  type KeptBecause,
  type RemoteParent,
  type Span,
} from '@tenk/observability/tracing';

/**
 * The span of one proxied request its trace's sampling picked (sampleRequest): it continues
 * the client's `traceparent` (or starts a trace), names the upstream and its algorithm, and is
 * what the api's span hangs under. A request the ratio left out gets no span: ProxyExchange
 * keeps its ids and start time and, if it fails (or is slow), sends keepProxySpan's after the fact.
 */
export function startProxySpan(
  req: IncomingMessage,
  parent: RemoteParent | undefined,
  path: string,
  upstream: string,
  algorithm: string,
  requestId: string,
): Span {
  const method = req.method ?? 'GET';
  return startSampledSpan(
    `${method} ${upstream}`,
    {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': method,
        'url.path': pathOf(path),
        'tenk.balancer.upstream': upstream,
        'tenk.balancer.algorithm': algorithm,
        'tenk.request_id': requestId,
      },
    },
    parent,
  );
}

/** What an unsampled proxied request kept for a span after the fact, and what it knows at its end. */
export interface UnsampledProxyRequest {
  method: string;
  path: string;
  upstream: string;
  algorithm: string;
  requestId: string;
  traceId: string;
  spanId: string;
  /** The client's span ('' when the request started the trace). */
  parentSpanId: string;
  /** performance.now() when it arrived. */
  startedAt: number;
  peer: string;
  attempt: number;
  status: number;
  upstreamStatus: number;
}

/**
 * Whether a proxied request's answer is a failure its trace is kept for: a 5xx, or 499 (the
 * client went away before its answer).
 */
export function isFailedAnswer(status: number): boolean {
  return status >= 500 || status === 499;
}

/**
 * The span an unsampled proxied request would have had, built now that it failed (or was slow:
 * `why`), with the ids it passed upstream (the api's span, if the api kept one, hangs under it)
 * and the facts that matter collected only now: peer, attempt, status.
 */
export function keepProxySpan(request: UnsampledProxyRequest, why: KeptBecause): void {
  const attributes: Record<string, string | number> = {
    'http.request.method': request.method,
    'url.path': pathOf(request.path),
    'tenk.balancer.upstream': request.upstream,
    'tenk.balancer.algorithm': request.algorithm,
    'tenk.request_id': request.requestId,
    'http.response.status_code': request.status,
  };
  if (request.peer !== '') attributes['tenk.balancer.peer'] = request.peer;
  if (request.attempt > 0) attributes['tenk.balancer.attempt'] = request.attempt;
  if (request.upstreamStatus !== 0) attributes['tenk.balancer.upstream_status'] = request.upstreamStatus;
  keepSpanAfterTheFact(
    {
      name: `${request.method} ${request.upstream}`,
      kind: SpanKind.SERVER,
      traceId: request.traceId,
      spanId: request.spanId,
      parentSpanId: request.parentSpanId,
      parentIsRemote: true,
      startTimeMs: performance.timeOrigin + request.startedAt,
      endTimeMs: epochMs(),
      attributes,
      status: isFailedAnswer(request.status)
        ? { code: SpanStatusCode.ERROR, message: failureMessage(request.status) }
        : { code: SpanStatusCode.UNSET },
    },
    why,
  );
}

/**
 * The upstream request's headers with this request's `traceparent` instead of the client's
 * (and no `tracestate`): the peer continues the balancer's span, not the client's.
 */
export function withTraceparent(headers: string[], traceparent: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    if (name.length === 11 && name.toLowerCase() === 'traceparent') continue;
    if (name.length === 10 && name.toLowerCase() === 'tracestate') continue;
    out.push(name, headers[i + 1]);
  }
  out.push('traceparent', traceparent);
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
  if (isFailedAnswer(status)) span.setStatus({ code: SpanStatusCode.ERROR, message: failureMessage(status) });
  span.end();
}

function failureMessage(status: number): string {
  return status === 499 ? 'the client closed the connection' : `answered ${status}`;
}

function pathOf(target: string): string {
  const query = target.indexOf('?');
  return query === -1 ? target : target.slice(0, query);
}

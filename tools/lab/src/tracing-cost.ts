/**
 * The CPU that tracing's own work adds to one cached catalog GET, balancer + api, without the
 * rest of the request around it (whose noise on a shared machine is larger than the effect):
 * the balancer's span (start, peer and attempt, traceparent for the upstream, end) and the
 * api's (HttpTracingMiddleware continuing it, the cache outcome set on it, trace ids read for
 * a log line, end), spans batched and sent over OTLP to tools/infra's Jaeger as in the shop.
 *
 *   node -r ./tools/register.cjs tools/lab/src/tracing-cost.ts [ratio|off] [requests]
 *
 * Errors are kept as in the shop: a request the ratio left out makes no span, only ids (and
 * would send its span after the fact if it failed: deferred-span.ts); TENK_TRACE_KEEP_ERRORS=false
 * in the environment measures without that.
 *
 * Prints CPU µs per request (process.cpuUsage, user + system, the exporter included). At 100%
 * and this loop's pace (tens of thousands of requests a second) the batch queue overflows and
 * drops spans, so that figure is a lower bound; at 5% nothing is dropped. One ratio per
 * process: the SDK is installed once per process, as in the shop. A measurement, not a test.
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { loadConfig } from '@tenk/config';
import {
  activeTraceIds,
  annotateActiveSpan,
  HttpTracingMiddleware,
  SpanKind,
  startTracing,
  stopTracing,
  traceparentOf,
  tracingEnabled,
  type Span,
} from '@tenk/observability';
import {
  formatTraceparent,
  newSpanId,
  newTraceId,
  parseTraceparent,
  sampleRequest,
  startSampledSpan,
  type RemoteParent,
} from '@tenk/observability/tracing';

const [ratioArg = '1', requestsArg = '100000'] = process.argv.slice(2);
const requests = Number(requestsArg);
const config = loadConfig({
  ...process.env,
  TENK_OTLP_ENDPOINT: ratioArg === 'off' ? 'off' : `http://127.0.0.1:${loadConfig().tracing.jaeger.otlpPort}`,
  TENK_TRACE_SAMPLE_RATIO: ratioArg === 'off' ? '1' : ratioArg,
});
startTracing({ service: 'tracing-cost', config: config.tracing });

const middleware = new HttpTracingMiddleware();

// The balancer's span work, as apps/balancer/src/observability/proxy-span.ts and
// http/proxy-exchange.ts do it (an app's code cannot be imported from a tool): a sampled
// request gets a span, one left out only its ids and a traceparent for the peer.
function startProxySpan(req: IncomingMessage, parent: RemoteParent | undefined, path: string, requestId: string): Span {
  return startSampledSpan(
    `${req.method} api`,
    {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': req.method,
        'url.path': path.slice(0, path.indexOf('?')),
        'tenk.balancer.upstream': 'api',
        'tenk.balancer.algorithm': 'least_conn',
        'tenk.request_id': requestId,
      },
    },
    parent,
  );
}
function withTraceparent(headers: string[], traceparent: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) if (headers[i].toLowerCase() !== 'traceparent') out.push(headers[i], headers[i + 1]);
  out.push('traceparent', traceparent);
  return out;
}
function endProxySpan(span: Span, status: number, upstreamStatus: number): void {
  span.setAttribute('http.response.status_code', status);
  span.setAttribute('tenk.balancer.upstream_status', upstreamStatus);
  span.end();
}
const BALANCER_HEADERS = ['host', 'api', 'accept', 'application/json', 'x-request-id', 'r-1', 'x-forwarded-for', '127.0.0.1'];

function oneRequest(i: number): void {
  // The balancer: a client without traceparent (a new trace each time, as in the lab).
  const incoming = { method: 'GET', headers: {} } as unknown as IncomingMessage;
  let upstreamHeaders = BALANCER_HEADERS;
  let span: Span | null = null;
  if (tracingEnabled()) {
    const parent = parseTraceparent(undefined);
    if (sampleRequest(parent)) {
      span = startProxySpan(incoming, parent, '/products?limit=20', `r-${i}`);
      upstreamHeaders = withTraceparent(BALANCER_HEADERS, traceparentOf(span) ?? '');
      span.setAttribute('tenk.balancer.peer', '127.0.0.1:3001');
      span.setAttribute('tenk.balancer.attempt', 1);
    } else {
      upstreamHeaders = withTraceparent(BALANCER_HEADERS, formatTraceparent(newTraceId(), newSpanId(), false));
    }
  }
  // The api: the headers as Node gives them to the HTTP adapter.
  const headers: Record<string, string> = {};
  for (let h = 0; h < upstreamHeaders.length; h += 2) headers[upstreamHeaders[h]] = upstreamHeaders[h + 1];
  const res = new EventEmitter() as EventEmitter & { statusCode: number; writableFinished: boolean; req: unknown };
  res.statusCode = 200;
  res.writableFinished = true;
  const req = { method: 'GET', headers, url: '/products?limit=20' };
  res.req = req;
  middleware.use(
    req as unknown as IncomingMessage,
    res as unknown as ServerResponse,
    () => {
      annotateActiveSpan({ 'tenk.cache.name': 'catalog', 'tenk.cache.outcome': 'hit', 'tenk.cache.detail': 'local' });
      activeTraceIds(); // the pino mixin, once per log line
    },
    () => '/products',
  );
  res.emit('close');
  if (span !== null) endProxySpan(span, 200, 200);
}

async function main(): Promise<void> {
  for (let i = 0; i < 20_000; i++) oneRequest(i); // warm up (JIT)
  const before = process.cpuUsage();
  for (let i = 0; i < requests; i++) {
    oneRequest(i);
    // Let the batch exporter run between requests, as it would in the shop.
    if (i % 64 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  await stopTracing(); // the last batches exported: their cost is counted too
  const used = process.cpuUsage(before);
  const perRequestUs = (used.user + used.system) / requests;
  process.stdout.write(
    `${JSON.stringify({ ratio: ratioArg, keepErrors: config.tracing.keepErrors, requests, cpu_us_per_request: Math.round(perRequestUs * 100) / 100 })}\n`,
  );
}

void main();

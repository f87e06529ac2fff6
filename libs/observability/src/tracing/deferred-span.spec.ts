import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { loadConfig } from '@tenk/config';
import { countSdkSpanStarts } from '../testing';
import { KEPT_ATTRIBUTE } from './deferred-span';
import { HttpTracingMiddleware } from './http-tracing.middleware';
import {
  activeTraceIds,
  annotateActiveSpan,
  currentTraceparent,
  extractTraceContext,
  inSpan,
  markFailed,
  startSpan,
  startTracing,
  stopTracing,
  SpanStatusCode,
} from './tracing';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const CALLER_SPAN = 'b7ad6b7169203331';
const UNSAMPLED = (traceId = TRACE) => `00-${traceId}-${CALLER_SPAN}-00`;

function start(env: Record<string, string> = {}): InMemorySpanExporter {
  const exporter = new InMemorySpanExporter();
  startTracing({ service: 'api', config: loadConfig({ TENK_TRACE_SAMPLE_RATIO: '0', ...env }).tracing, exporter });
  return exporter;
}

interface Seen {
  recording: boolean;
  traceIds: ReturnType<typeof activeTraceIds>;
  traceparent: string | undefined;
}

/**
 * One request through the api's HTTP span (HttpTracingMiddleware), with a route that runs
 * `route` inside it, and answers `status` (or the client goes away first: 'gone').
 */
async function request(traceparent: string | undefined, status: number | 'gone', route: () => Promise<void> = async () => undefined) {
  const res = new EventEmitter() as EventEmitter & { statusCode: number; writableFinished: boolean; req: unknown };
  const req = { method: 'GET', url: '/products/7?fields=name', headers: traceparent ? { traceparent } : {} };
  res.req = req;
  const seen: Seen = { recording: true, traceIds: undefined, traceparent: undefined };
  await new Promise<void>((resolve) => {
    new HttpTracingMiddleware().use(
      req as unknown as IncomingMessage,
      res as unknown as ServerResponse,
      () => {
        seen.recording = trace.getActiveSpan()?.isRecording() ?? false;
        seen.traceIds = activeTraceIds();
        seen.traceparent = currentTraceparent();
        annotateActiveSpan({ 'tenk.cache.outcome': 'hit' });
        void route().then(resolve, resolve);
      },
      () => '/products/:id',
    );
  });
  res.statusCode = status === 'gone' ? 200 : status;
  res.writableFinished = status !== 'gone';
  res.emit('close');
  return seen;
}

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe('errors always kept, spans built after the fact', () => {
  afterEach(async () => {
    jest.restoreAllMocks();
    await stopTracing();
  });

  it('makes no SDK span for a request the ratio left out, and passes its ids on, not sampled', async () => {
    const sdk = countSdkSpanStarts();
    const exporter = start();
    const continued = await request(UNSAMPLED(), 200);
    const started = await request(undefined, 200); // a new trace the ratio (0) leaves out
    expect(sdk.count).toBe(0);
    expect(exporter.getFinishedSpans()).toEqual([]);
    expect(continued.recording).toBe(false);
    // The caller's trace id, a span id of its own, "not sampled": the next process follows.
    expect(continued.traceIds?.trace_id).toBe(TRACE);
    expect(continued.traceparent).toBe(`00-${TRACE}-${continued.traceIds?.span_id}-00`);
    expect(continued.traceIds?.span_id).not.toBe(CALLER_SPAN);
    expect(started.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    expect(started.traceIds?.trace_id).not.toBe(TRACE);
  });

  it('makes no SDK span for child spans of such a request either, and keeps none that succeed', async () => {
    const sdk = countSdkSpanStarts();
    const exporter = start();
    await request(UNSAMPLED(), 200, async () => {
      await inSpan('resilience shard:shard_1', { attributes: { 'tenk.breaker.state': 'closed' } }, async (span) => {
        expect(span.isRecording()).toBe(false);
        annotateActiveSpan({ 'tenk.retry.count': 0 });
        expect(startSpan('cache read').isRecording()).toBe(false);
      });
    });
    expect(sdk.count).toBe(0);
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('sends a request that answered 5xx after the fact: same trace id, under the caller, with the id it passed on', async () => {
    const sdk = countSdkSpanStarts();
    const exporter = start();
    const seen = await request(UNSAMPLED(), 503);
    expect(sdk.count).toBe(0);
    const [span] = exporter.getFinishedSpans();
    expect(exporter.getFinishedSpans()).toHaveLength(1);
    expect(span.spanContext().traceId).toBe(TRACE);
    expect(span.spanContext().spanId).toBe(seen.traceIds?.span_id);
    expect(parentOf(span)).toBe(CALLER_SPAN);
    expect(span.name).toBe('GET /products/:id');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes).toEqual({
      'http.request.method': 'GET',
      'url.path': '/products/7',
      'http.route': '/products/:id',
      'http.response.status_code': 503,
      [KEPT_ATTRIBUTE]: 'error',
    });
    const duration = span.duration[0] * 1e3 + span.duration[1] / 1e6;
    expect(duration).toBeGreaterThanOrEqual(0);
    expect(span.startTime[0]).toBeGreaterThan(1_700_000_000);
  });

  it('keeps a request whose client went away before its answer', async () => {
    const exporter = start();
    await request(UNSAMPLED(), 'gone');
    expect(exporter.getFinishedSpans().map((span) => span.status.message)).toEqual(['the client went away before the response was sent']);
  });

  it('sends a failed child span and the request it ran under, each under its parent', async () => {
    const exporter = start();
    let requestSpan: string | undefined;
    await request(UNSAMPLED(), 200, async () => {
      requestSpan = activeTraceIds()?.span_id;
      await inSpan('resilience payments', { attributes: { 'tenk.breaker.state': 'closed' } }, async (span) => {
        span.setAttribute('tenk.payment.provider', 'test');
        throw new Error('payment provider refused the connection');
      }).catch(() => undefined);
    });
    const spans = exporter.getFinishedSpans();
    expect(spans.map((span) => span.name)).toEqual(['resilience payments', 'GET /products/:id']);
    const [payments, server] = spans;
    expect(spans.every((span) => span.spanContext().traceId === TRACE)).toBe(true);
    expect(server.spanContext().spanId).toBe(requestSpan);
    expect(parentOf(payments)).toBe(requestSpan);
    expect(parentOf(server)).toBe(CALLER_SPAN);
    expect(payments.attributes).toMatchObject({
      'tenk.breaker.state': 'closed',
      'tenk.payment.provider': 'test',
      [KEPT_ATTRIBUTE]: 'error',
    });
    expect(payments.status).toEqual({ code: SpanStatusCode.ERROR, message: 'payment provider refused the connection' });
    expect(payments.events.map((event) => event.name)).toEqual(['exception']);
    // It answered 200 in the end: the request span is kept for its child, with its status.
    expect(server.attributes['http.response.status_code']).toBe(200);
  });

  it('sends a span that fails on its own later (a job of a trace whose request succeeded)', async () => {
    const exporter = start();
    const job = startSpan('mail process', {}, extractTraceContext({ traceparent: UNSAMPLED() }));
    markFailed(job, new Error('smtp refused'));
    job.end();
    const [span] = exporter.getFinishedSpans();
    expect(span.name).toBe('mail process');
    expect(parentOf(span)).toBe(CALLER_SPAN);
    expect(span.spanContext().traceId).toBe(TRACE);
  });

  it('keeps slow unsampled requests only when asked to', async () => {
    const slow = () => {
      const span = startSpan('GET /slow', {}, extractTraceContext({ traceparent: UNSAMPLED() }));
      // A request that started 1.5 s ago, as its span's clock reads it.
      (span as unknown as { end(time: number): void }).end(performance.timeOrigin + performance.now() + 1_500);
    };
    let exporter = start();
    slow();
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    await stopTracing();
    exporter = start({ TENK_TRACE_KEEP_SLOW_MS: '1s' });
    slow();
    expect(exporter.getFinishedSpans().map((span) => span.attributes[KEPT_ATTRIBUTE])).toEqual(['slow']);
  });

  it('sends nothing unsampled when TENK_TRACE_KEEP_ERRORS=false, and still passes the ids on', async () => {
    const exporter = start({ TENK_TRACE_KEEP_ERRORS: 'false' });
    const seen = await request(UNSAMPLED(), 503, async () => {
      await inSpan('resilience payments', {}, () => Promise.reject(new Error('refused'))).catch(() => undefined);
    });
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    expect(seen.traceparent).toMatch(new RegExp(`^00-${TRACE}-[0-9a-f]{16}-00$`));
  });

  it('still makes full SDK spans for a sampled caller', async () => {
    const sdk = countSdkSpanStarts();
    const exporter = start();
    const seen = await request(`00-${TRACE}-${CALLER_SPAN}-01`, 200);
    expect(sdk.count).toBe(1);
    expect(seen.recording).toBe(true);
    const [span] = exporter.getFinishedSpans();
    expect(span.attributes).toMatchObject({ 'tenk.cache.outcome': 'hit', 'http.response.status_code': 200 });
    expect(span.attributes[KEPT_ATTRIBUTE]).toBeUndefined();
    expect(parentOf(span)).toBe(CALLER_SPAN);
  });
});

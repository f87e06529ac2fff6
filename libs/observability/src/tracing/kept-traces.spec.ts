import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { loadConfig } from '@tenk/config';
import { KEPT_ATTRIBUTE } from './kept-traces';
import { extractTraceContext, inSpan, markFailed, startTracing, stopTracing, tracer, SpanStatusCode } from './tracing';

const UNSAMPLED = (traceId: string) => `00-${traceId}-b7ad6b7169203331-00`;
const TRACE_OK = '0af7651916cd43dd8448eb211c80319c';
const TRACE_FAILED = '1af7651916cd43dd8448eb211c80319c';

function start(env: Record<string, string> = {}): InMemorySpanExporter {
  const exporter = new InMemorySpanExporter();
  startTracing({ service: 'test', config: loadConfig({ TENK_TRACE_SAMPLE_RATIO: '0', ...env }).tracing, exporter });
  return exporter;
}

/** A request of this process: a server span continuing `traceparent`, a child span under it. */
async function request(traceparent: string | undefined, fail: 'no' | 'child' | 'status'): Promise<void> {
  const parent = traceparent ? extractTraceContext({ traceparent }) : undefined;
  await inSpan('GET /products', { parent }, async (server) => {
    server.setAttribute('tenk.cache.outcome', 'miss');
    await inSpan('db query', {}, () => {
      if (fail === 'child') throw new Error('replica gone');
    }).catch(() => undefined);
    if (fail === 'status') server.setStatus({ code: SpanStatusCode.ERROR, message: 'answered 503' });
  });
}

describe('errors always kept', () => {
  afterEach(() => stopTracing());

  it('sends an unsampled trace in which a span failed, every span of it, marked as kept for an error', async () => {
    const exporter = start();
    await request(UNSAMPLED(TRACE_FAILED), 'child');
    await request(UNSAMPLED(TRACE_OK), 'no');
    await request(undefined, 'status'); // a new trace the ratio (0) leaves out
    await request(undefined, 'no');
    const spans = exporter.getFinishedSpans();
    const byTrace = (traceId: string) => spans.filter((span) => span.spanContext().traceId === traceId);
    expect(byTrace(TRACE_FAILED).map((span) => span.name)).toEqual(['db query', 'GET /products']);
    expect(byTrace(TRACE_OK)).toEqual([]);
    expect(spans).toHaveLength(4);
    expect(spans.every((span) => span.attributes[KEPT_ATTRIBUTE] === 'error')).toBe(true);
    // The data itself: attributes set while it ran, the parent, the failure.
    const server = byTrace(TRACE_FAILED)[1];
    expect(server.attributes['tenk.cache.outcome']).toBe('miss');
    expect(server.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(byTrace(TRACE_FAILED)[0].status.code).toBe(SpanStatusCode.ERROR);
  });

  it('passes the unsampled decision on: the traceparent it sends still says not sampled', async () => {
    start();
    await inSpan('consume', { parent: extractTraceContext({ traceparent: UNSAMPLED(TRACE_OK) }) }, (span) => {
      expect(span.isRecording()).toBe(true);
      expect(span.spanContext().traceFlags).toBe(0);
    });
  });

  it('sends a span that fails after its trace was decided, and later spans of a trace it sent', async () => {
    const exporter = start();
    const late = tracer().startSpan('late job', {}, extractTraceContext({ traceparent: UNSAMPLED(TRACE_OK) }));
    late.end();
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    const failing = tracer().startSpan('mail process', {}, extractTraceContext({ traceparent: UNSAMPLED(TRACE_FAILED) }));
    markFailed(failing, new Error('smtp refused'));
    failing.end();
    const after = tracer().startSpan('retry scheduled', {}, extractTraceContext({ traceparent: UNSAMPLED(TRACE_FAILED) }));
    after.end();
    expect(exporter.getFinishedSpans().map((span) => span.name)).toEqual(['mail process', 'retry scheduled']);
  });

  it('keeps slow unsampled traces only when asked to, by the first span in this process', async () => {
    const slow = async () => {
      const span = tracer().startSpan(
        'GET /slow',
        { startTime: Date.now() - 1_500 },
        extractTraceContext({ traceparent: UNSAMPLED(TRACE_OK) }),
      );
      span.end();
    };
    let exporter = start();
    await slow();
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    await stopTracing();
    exporter = start({ TENK_TRACE_KEEP_SLOW_MS: '1s' });
    await slow();
    expect(exporter.getFinishedSpans().map((span) => span.attributes[KEPT_ATTRIBUTE])).toEqual(['slow']);
  });

  it('records nothing unsampled when turned off', async () => {
    const exporter = start({ TENK_TRACE_KEEP_ERRORS: 'false' });
    await request(UNSAMPLED(TRACE_FAILED), 'child');
    await inSpan('consume', { parent: extractTraceContext({ traceparent: UNSAMPLED(TRACE_OK) }) }, (span) => {
      expect(span.isRecording()).toBe(false);
    });
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });
});

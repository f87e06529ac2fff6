import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { loadConfig } from '@tenk/config';
import {
  activeTraceIds,
  currentTraceparent,
  extractTraceContext,
  inSpan,
  injectTraceContext,
  startTracing,
  stopTracing,
  traceparentOf,
  startSpan,
  tracingEnabled,
  untraced,
  SpanKind,
} from './tracing';

const PARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const UNSAMPLED_PARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00';

describe('tracing', () => {
  afterEach(() => stopTracing());

  it('is off without an endpoint: nothing installed, nothing injected, work still runs', async () => {
    expect(startTracing({ service: 'test', config: loadConfig({}).tracing })).toBe(false);
    expect(tracingEnabled()).toBe(false);
    const carrier: Record<string, string> = {};
    await expect(inSpan('work', {}, () => 42)).resolves.toBe(42);
    injectTraceContext(carrier);
    expect(carrier).toEqual({});
    expect(activeTraceIds()).toBeUndefined();
  });

  it('continues a W3C traceparent from a carrier (string, Buffer or array values) and passes it on', async () => {
    const exporter = new InMemorySpanExporter();
    startTracing({ service: 'test', config: loadConfig({ TENK_TRACE_SAMPLE_RATIO: '0' }).tracing, exporter });
    for (const value of [PARENT, Buffer.from(PARENT), [PARENT]]) {
      const outgoing: Record<string, string> = {};
      await inSpan('consume', { kind: SpanKind.CONSUMER, parent: extractTraceContext({ traceparent: value }) }, () => {
        injectTraceContext(outgoing);
        expect(activeTraceIds()?.trace_id).toBe('0af7651916cd43dd8448eb211c80319c');
      });
      expect(outgoing.traceparent).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
    }
    // Parent-based: the caller sampled it, so it is kept even at ratio 0.
    expect(exporter.getFinishedSpans()).toHaveLength(3);
    expect(exporter.getFinishedSpans()[0].parentSpanContext?.spanId).toBe('b7ad6b7169203331');
  });

  it('samples new traces by the ratio and follows an unsampled parent', async () => {
    const exporter = new InMemorySpanExporter();
    startTracing({ service: 'test', config: loadConfig({ TENK_TRACE_SAMPLE_RATIO: '0' }).tracing, exporter });
    await inSpan('root', {}, () => undefined);
    await inSpan('child', { parent: extractTraceContext({ traceparent: UNSAMPLED_PARENT }) }, () => {
      expect(currentTraceparent()).toMatch(/-00$/);
    });
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });

  it('keeps background rounds out of every trace, except spans given a parent of their own', async () => {
    const exporter = new InMemorySpanExporter();
    startTracing({ service: 'test', config: loadConfig({}).tracing, exporter });
    let header: string | undefined;
    await inSpan('request that nudged the loop', {}, () =>
      untraced(async () => {
        await inSpan('poll round', {}, () => undefined); // not recorded
        const publish = startSpan('publish', {}, extractTraceContext({ traceparent: PARENT }));
        header = traceparentOf(publish);
        publish.end();
      }),
    );
    expect(exporter.getFinishedSpans().map((span) => span.name)).toEqual(['publish', 'request that nudged the loop']);
    expect(exporter.getFinishedSpans()[0].spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(header).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-/);
  });

  it('records a failure on the span and rethrows it', async () => {
    const exporter = new InMemorySpanExporter();
    startTracing({ service: 'test', config: loadConfig({}).tracing, exporter });
    await expect(inSpan('fails', {}, () => Promise.reject(new Error('smtp refused')))).rejects.toThrow('smtp refused');
    const [span] = exporter.getFinishedSpans();
    expect(span.status).toEqual({ code: 2, message: 'smtp refused' });
    expect(span.events[0].name).toBe('exception');
  });
});

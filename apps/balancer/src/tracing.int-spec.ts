import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { Agent, request } from 'undici';
import { loadConfig } from '@tenk/config';
import { HttpTracingMiddleware } from '@tenk/observability';
import { countSdkSpanStarts } from '@tenk/observability/testing';
import { startTracing, stopTracing } from '@tenk/observability/tracing';
import { startBalancer, startUpstream, type RunningBalancer, type TestUpstream } from './testing/harness';

const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_PARENT = `00-${CLIENT_TRACE}-00f067aa0ba902b7-01`;

const running: Array<{ close(): Promise<void> }> = [];
const agent = new Agent({ connections: 4 });

async function setUp(method = 'least_conn;'): Promise<{ lb: RunningBalancer; a: TestUpstream; b: TestUpstream }> {
  const [a, b] = await Promise.all([startUpstream('a'), startUpstream('b')]);
  const lb = await startBalancer(`admin_listen 127.0.0.1:0;\naccess_log off;
    upstream api { ${method} server ${a.address}; server ${b.address}; }
    server { listen 127.0.0.1:0; location / { proxy_pass http://api; proxy_next_upstream error timeout http_502; } }`);
  running.push(a, b, lb);
  return { lb, a, b };
}

afterEach(async () => {
  jest.restoreAllMocks();
  await Promise.all(running.splice(0).map((item) => item.close()));
  await stopTracing();
});

afterAll(() => agent.close());

describe('balancer tracing', () => {
  it('gives each proxied request a span (peer, attempt, algorithm) that continues the client trace and is the upstream request parent', async () => {
    const exporter = new InMemorySpanExporter();
    startTracing({ service: 'balancer', config: loadConfig({}).tracing, exporter });
    const { lb, a, b } = await setUp();
    const response = await request(`${lb.url}/products?page=2`, {
      dispatcher: agent,
      headers: { traceparent: CLIENT_PARENT, tracestate: 'vendor=1', 'x-request-id': 'req-7' },
    });
    await response.body.text();
    await new Promise((resolve) => setTimeout(resolve, 50)); // the span ends when the response closes
    const [span] = exporter.getFinishedSpans();
    expect(span).toBeDefined();
    expect(span.name).toBe('GET api');
    expect(span.spanContext().traceId).toBe(CLIENT_TRACE);
    expect(span.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    const peer = a.requests.length === 1 ? a : b;
    expect(span.attributes).toMatchObject({
      'tenk.balancer.algorithm': 'least_conn',
      'tenk.balancer.peer': peer.address,
      'tenk.balancer.attempt': 1,
      'url.path': '/products',
      'tenk.request_id': 'req-7',
      'http.response.status_code': 200,
    });
    // The peer continues the balancer's span, not the client's; the client's tracestate stays out.
    expect(peer.requests[0].headers.traceparent).toBe(`00-${CLIENT_TRACE}-${span.spanContext().spanId}-01`);
    expect(peer.requests[0].headers.tracestate).toBeUndefined();
    // The client learns the trace (and its span) it can look up: W3C traceresponse.
    expect(response.headers.traceresponse).toBe(`00-${CLIENT_TRACE}-${span.spanContext().spanId}-01`);
  });

  it('keeps an unsampled request it answers with an error, and names its trace in the answer', async () => {
    const exporter = new InMemorySpanExporter();
    startTracing({ service: 'balancer', config: loadConfig({ TENK_TRACE_SAMPLE_RATIO: '0' }).tracing, exporter });
    const { lb, a, b } = await setUp();
    const ok = await request(`${lb.url}/`, { dispatcher: agent });
    await ok.body.text();
    expect(ok.headers.traceresponse).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    await Promise.all([a.close(), b.close()]);
    const failed = await request(`${lb.url}/`, { dispatcher: agent });
    await failed.body.text();
    expect(failed.statusCode).toBe(502);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(1);
    expect(spans[0].attributes).toMatchObject({ 'http.response.status_code': 502, 'tenk.trace.kept': 'error' });
    expect(failed.headers.traceresponse).toBe(`00-${spans[0].spanContext().traceId}-${spans[0].spanContext().spanId}-00`);
  });

  it('starts a trace for a request without traceparent, and counts the attempts of a retried request', async () => {
    const exporter = new InMemorySpanExporter();
    startTracing({ service: 'balancer', config: loadConfig({}).tracing, exporter });
    const { lb, a, b } = await setUp(''); // round robin: the first pick is a
    await a.close(); // which refuses connections: the request is retried on b
    const response = await request(`${lb.url}/`, { dispatcher: agent });
    await response.body.text();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const spans = exporter.getFinishedSpans();
    const last = spans[spans.length - 1];
    expect(last.parentSpanContext).toBeUndefined();
    expect(b.requests.at(-1)?.headers.traceparent).toMatch(
      new RegExp(`^00-${last.spanContext().traceId}-${last.spanContext().spanId}-01$`),
    );
    expect(last.attributes).toMatchObject({
      'tenk.balancer.algorithm': 'round_robin',
      'tenk.balancer.attempt': 2,
      'tenk.balancer.peer': b.address,
      'http.response.status_code': 200,
    });
    expect(last.events.map((event) => event.name)).toEqual(['retry']);
  });

  it('makes no span for a request its trace leaves out: only the ids, passed on as not sampled', async () => {
    const sdk = countSdkSpanStarts();
    const exporter = new InMemorySpanExporter();
    startTracing({ service: 'balancer', config: loadConfig({ TENK_TRACE_SAMPLE_RATIO: '0' }).tracing, exporter });
    const { lb, a, b } = await setUp();
    const unsampled = CLIENT_PARENT.replace(/-01$/, '-00');
    const continued = await request(`${lb.url}/`, { dispatcher: agent, headers: { traceparent: unsampled, tracestate: 'vendor=1' } });
    await continued.body.text();
    const started = await request(`${lb.url}/`, { dispatcher: agent });
    await started.body.text();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sdk.count).toBe(0);
    expect(exporter.getFinishedSpans()).toEqual([]);
    const [first, second] = [...a.requests, ...b.requests];
    // The client's trace, the balancer's own span id (the one traceresponse names), not sampled.
    expect(first.headers.traceparent).toMatch(new RegExp(`^00-${CLIENT_TRACE}-[0-9a-f]{16}-00$`));
    expect(first.headers.traceparent).not.toContain('00f067aa0ba902b7');
    expect(first.headers.tracestate).toBeUndefined();
    expect(continued.headers.traceresponse).toBe(first.headers.traceparent);
    expect(second.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    expect(second.headers.traceparent).not.toContain(CLIENT_TRACE);
  });

  it("joins its after-the-fact span and the api's into one trace when an unsampled request fails in the api", async () => {
    const exporter = new InMemorySpanExporter();
    startTracing({ service: 'balancer', config: loadConfig({ TENK_TRACE_SAMPLE_RATIO: '0' }).tracing, exporter });
    const { lb, a, b } = await setUp();
    // Both peers run the api's HTTP span and answer 500 (not retried: proxy_next_upstream has no http_500).
    const api = new HttpTracingMiddleware();
    for (const peer of [a, b])
      peer.handle = (req, res) =>
        api.use(req, res, () => {
          res.statusCode = 500;
          res.end('boom');
        });
    const failed = await request(`${lb.url}/orders`, { dispatcher: agent, headers: { traceparent: CLIENT_PARENT.replace(/-01$/, '-00') } });
    await failed.body.text();
    expect(failed.statusCode).toBe(500);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const spans = exporter.getFinishedSpans();
    const balancer = spans.find((span) => span.name === 'GET api');
    const server = spans.find((span) => span.name === 'GET /orders');
    expect(spans).toHaveLength(2);
    expect(balancer?.spanContext().traceId).toBe(CLIENT_TRACE);
    expect(server?.spanContext().traceId).toBe(CLIENT_TRACE);
    expect(balancer?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(server?.parentSpanContext?.spanId).toBe(balancer?.spanContext().spanId);
    const peer = a.requests.length === 1 ? a : b;
    expect(balancer?.attributes).toMatchObject({
      'tenk.balancer.algorithm': 'least_conn',
      'tenk.balancer.peer': peer.address,
      'tenk.balancer.attempt': 1,
      'http.response.status_code': 500,
      'tenk.balancer.upstream_status': 500,
      'tenk.trace.kept': 'error',
    });
    expect(server?.attributes).toMatchObject({ 'http.response.status_code': 500, 'tenk.trace.kept': 'error' });
    expect(failed.headers.traceresponse).toBe(`00-${CLIENT_TRACE}-${balancer?.spanContext().spanId}-00`);
  });

  it('with tracing off, makes no span and passes the client traceparent through untouched', async () => {
    const { lb, a, b } = await setUp();
    const response = await request(`${lb.url}/`, { dispatcher: agent, headers: { traceparent: CLIENT_PARENT } });
    await response.body.text();
    expect([...a.requests, ...b.requests][0].headers.traceparent).toBe(CLIENT_PARENT);
    expect(response.headers.traceresponse).toBeUndefined();
  });
});

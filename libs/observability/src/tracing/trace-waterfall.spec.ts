import { toTraceView, type JaegerTrace } from './jaeger-query';
import { renderWaterfall } from './trace-waterfall';

const TRACE: JaegerTrace = {
  traceID: '4bf92f3577b34da6a3ce929d0e0e4736',
  processes: { p1: { serviceName: 'balancer' }, p2: { serviceName: 'api' }, p3: { serviceName: 'mailer' } },
  spans: [
    // Out of order, as Jaeger may return them; the client's span (aaaa) is not in the trace.
    {
      spanID: 'c',
      operationName: 'smtp send',
      references: [{ refType: 'CHILD_OF', spanID: 'b' }],
      startTime: 1_000_900,
      duration: 50,
      processID: 'p3',
      tags: [{ key: 'error', value: true }],
    },
    {
      spanID: 'a',
      operationName: 'POST api',
      references: [{ refType: 'CHILD_OF', spanID: 'aaaa' }],
      startTime: 1_000_000,
      duration: 1_000,
      processID: 'p1',
      tags: [
        { key: 'tenk.balancer.peer', value: '127.0.0.1:3001' },
        { key: 'tenk.request_id', value: 'r-1' },
      ],
    },
    {
      spanID: 'b',
      operationName: 'POST /orders',
      references: [{ refType: 'CHILD_OF', spanID: 'a' }],
      startTime: 1_000_100,
      duration: 800,
      processID: 'p2',
      tags: [
        { key: 'tenk.shard', value: 'shard_2' },
        { key: 'http.response.status_code', value: 201 },
      ],
    },
  ],
};

describe('a trace from Jaeger, as a waterfall', () => {
  it('orders the spans depth first from the root, times relative to the first span', () => {
    const view = toTraceView(TRACE);
    expect(view.spans.map((span) => [span.service, span.name, span.startUs, span.parent])).toEqual([
      ['balancer', 'POST api', 0, 'aaaa'],
      ['api', 'POST /orders', 100, 'a'],
      ['mailer', 'smtp send', 900, 'b'],
    ]);
    expect(view.durationUs).toBe(1_000);
    expect(view.spans[2].failed).toBe(true);
  });

  it('draws one row per span with its pattern attributes, failed ones in red, text escaped', () => {
    const svg = renderWaterfall(toTraceView(TRACE), 'one order <placed>');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('one order &lt;placed&gt;');
    // The row shows the patterns' attributes (not the request id); its tooltip has them all.
    expect(svg).toContain('class="attrs">balancer.peer=127.0.0.1:3001</text>');
    expect(svg).toContain('class="attrs">shard=shard_2  http.response.status_code=201</text>');
    expect(svg).toContain('tenk.request_id=r-1</title>');
    expect(svg.match(/<g class="failed">/g)).toHaveLength(1);
    expect(svg).toContain('fill="#c62828"');
  });
});

import { parseTraceresponse, SlowestRequests, type SlowRequest } from './slowest-requests';

const request = (latencyMs: number): SlowRequest => ({
  endpoint: 'GET /products',
  outcome: '200',
  latencyMs,
  atSeconds: 1,
  traceId: null,
  sampled: false,
});

describe('the slowest requests of a run', () => {
  it('keeps the N slowest, slowest first, whatever order they come in', () => {
    const slowest = new SlowestRequests(3);
    for (const latency of [5, 50, 1, 400, 30, 7, 90, 2]) slowest.offer(request(latency));
    expect(slowest.list().map((item) => item.latencyMs)).toEqual([400, 90, 50]);
    expect(slowest.wants(50)).toBe(false);
    expect(slowest.wants(51)).toBe(true);
  });

  it('reads the trace id and the sampled flag of a traceresponse, and refuses anything else', () => {
    expect(parseTraceresponse('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toEqual({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      sampled: true,
    });
    expect(parseTraceresponse('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00')?.sampled).toBe(false);
    for (const bad of ['', 'abc', '00-00000000000000000000000000000000-00f067aa0ba902b7-01', '00-4BF9-00f067aa0ba902b7-01'])
      expect(parseTraceresponse(bad)).toBeUndefined();
  });
});

import { formatTraceparent, newSpanId, newTraceId, parseTraceparent } from './trace-ids';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const SPAN = 'b7ad6b7169203331';

describe('traceparent', () => {
  it('reads the ids and the sampled flag', () => {
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-01`)).toEqual({ traceId: TRACE, spanId: SPAN, sampled: true });
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-00`)?.sampled).toBe(false);
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-0a`)?.sampled).toBe(false);
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-0b`)?.sampled).toBe(true);
    // A later version may carry more fields after the flags.
    expect(parseTraceparent(`01-${TRACE}-${SPAN}-01-extra`)?.traceId).toBe(TRACE);
  });

  it('takes anything malformed as no parent', () => {
    for (const value of [
      undefined,
      '',
      `00-${TRACE}-${SPAN}`,
      `00-${TRACE.toUpperCase()}-${SPAN}-01`,
      `00-${TRACE}-${SPAN}-01-extra`,
      `ff-${TRACE}-${SPAN}-01`,
      `00-${'0'.repeat(32)}-${SPAN}-01`,
      `00-${TRACE}-${'0'.repeat(16)}-01`,
      `00_${TRACE}-${SPAN}-01`,
    ])
      expect(parseTraceparent(value)).toBeUndefined();
  });

  it('writes what it reads, with new ids of the right length', () => {
    const traceId = newTraceId();
    const spanId = newSpanId();
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(new Set(Array.from({ length: 1_000 }, newSpanId)).size).toBe(1_000);
    expect(parseTraceparent(formatTraceparent(traceId, spanId, false))).toEqual({ traceId, spanId, sampled: false });
  });
});

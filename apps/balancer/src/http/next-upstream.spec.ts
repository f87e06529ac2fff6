import { describeNextUpstream, isFailureStatus, isNonIdempotent, NextUpstream, parseNextUpstream, statusFlag } from './next-upstream';

describe('proxy_next_upstream', () => {
  it('parses flags into a bit set', () => {
    expect(parseNextUpstream(['off'])).toBe(0);
    expect(parseNextUpstream(['error', 'timeout', 'http_502'])).toBe(NextUpstream.error | NextUpstream.timeout | NextUpstream.http_502);
    expect(describeNextUpstream(NextUpstream.error | NextUpstream.non_idempotent)).toBe('error non_idempotent');
    expect(parseNextUpstream(['http_999'])).toMatch(/unknown value/);
  });

  it('counts 5xx/429 as failures only when listed, and 403/404 never', () => {
    const flags = parseNextUpstream(['http_502', 'http_404', 'http_429']) as number;
    expect(isFailureStatus(flags, 502)).toBe(true);
    expect(isFailureStatus(flags, 503)).toBe(false);
    expect(isFailureStatus(flags, 429)).toBe(true);
    expect(isFailureStatus(flags, 404)).toBe(false);
    expect(statusFlag(200)).toBe(0);
  });

  it('treats POST, PATCH and LOCK as non-idempotent', () => {
    expect(['POST', 'PATCH', 'LOCK'].every(isNonIdempotent)).toBe(true);
    expect(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'].some(isNonIdempotent)).toBe(false);
  });
});

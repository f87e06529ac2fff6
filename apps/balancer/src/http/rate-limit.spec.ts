import type { LimitReqRule } from '../config/schema';
import { RateLimitZone } from './rate-limit';

const zone = (rate: number, capacity = 1000) =>
  new RateLimitZone({ name: 'z', key: '$binary_remote_addr', rate, capacity, file: 't', line: 1 });
const rule = (burst: number, delay = 0): LimitReqRule => ({ zone: 'z', burst, delay, file: 't', line: 1 });

describe('RateLimitZone (nginx leaky bucket)', () => {
  it('without burst, lets one request per 1/rate through and rejects the rest with Retry-After', () => {
    const limiter = zone(10);
    expect(limiter.check('a', rule(0), 0, false)).toBe(0);
    const verdict = limiter.check('a', rule(0), 50, false);
    expect(verdict).toBeLessThan(0);
    expect(-verdict).toBe(1);
    expect(limiter.check('a', rule(0), 100, false)).toBe(0);
  });

  it('with burst=N nodelay, serves N extra requests at once, then rejects', () => {
    const limiter = zone(1);
    const nodelay = rule(3, Number.POSITIVE_INFINITY);
    const verdicts = Array.from({ length: 6 }, () => limiter.check('a', nodelay, 1000, false));
    expect(verdicts.map((v) => (v < 0 ? 'reject' : v))).toEqual([0, 0, 0, 0, 'reject', 'reject']);
    // Rejected requests do not count: after one second one more fits.
    expect(limiter.check('a', nodelay, 2000, false)).toBe(0);
    expect(limiter.check('a', nodelay, 2000, false)).toBeLessThan(0);
  });

  it('with burst and no nodelay, delays the excess to the configured rate', () => {
    const limiter = zone(10);
    const delayed = rule(5);
    expect(limiter.check('a', delayed, 0, false)).toBe(0);
    expect(limiter.check('a', delayed, 0, false)).toBe(100);
    expect(limiter.check('a', delayed, 0, false)).toBe(200);
  });

  it('delay=N serves the first N of the burst at once', () => {
    const limiter = zone(10);
    const twoStage = rule(5, 2);
    const verdicts = Array.from({ length: 5 }, () => limiter.check('a', twoStage, 0, false));
    expect(verdicts).toEqual([0, 0, 0, 100, 200]);
  });

  it('says how long until a request fits again', () => {
    const limiter = zone(1);
    limiter.check('a', rule(0), 0, false);
    expect(limiter.check('a', rule(0), 0, false)).toBe(-1);
    const slow = zone(1 / 60);
    slow.check('a', rule(0), 0, false);
    expect(slow.check('a', rule(0), 1000, false)).toBe(-59);
  });

  it('keeps keys apart, forgets the oldest key when full, and counts decisions', () => {
    const limiter = zone(1, 2);
    expect(limiter.check('a', rule(0), 0, false)).toBe(0);
    expect(limiter.check('b', rule(0), 0, false)).toBe(0);
    expect(limiter.check('a', rule(0), 0, false)).toBeLessThan(0);
    limiter.check('c', rule(0), 0, false);
    expect(limiter.size).toBe(2);
    // "b" was the least recently used and was dropped: it starts afresh.
    expect(limiter.check('b', rule(0), 0, false)).toBe(0);
    expect(limiter.rejected).toBe(1);
  });

  it('dry run counts rejections but lets requests pass', () => {
    const limiter = zone(1);
    limiter.check('a', rule(0), 0, true);
    expect(limiter.check('a', rule(0), 0, true)).toBe(0);
    expect(limiter.rejected).toBe(1);
  });
});

/** RateLimiter against the real queue Redis, under a key prefix of this test's own. */
import type { PinoLogger } from 'nestjs-pino';
import { loadConfig } from '@tenk/config';
import { eventually, uniqueName } from '@tenk/testing';
import { RateLimiter } from './rate-limiter';

const quietLogger = { setContext: () => undefined, error: () => undefined, info: () => undefined } as unknown as PinoLogger;
const config = loadConfig({ ...process.env, TENK_QUEUE_PREFIX: uniqueName('rate_limiter') });
let limiter: RateLimiter;
let other: RateLimiter;

beforeAll(() => {
  // Two instances, as two api processes would have: the counts are the same for both.
  limiter = new RateLimiter(config, quietLogger);
  other = new RateLimiter(config, quietLogger);
});
afterAll(async () => {
  await limiter.onModuleDestroy();
  await other.onModuleDestroy();
});

describe('RateLimiter', () => {
  it('counts events per window across instances, over past the limit, with the time until the window reopens', async () => {
    const window = { key: uniqueName('w'), limit: 2, windowMs: 60_000 };
    expect(await limiter.hit(window)).toEqual([{ count: 1, over: false, retryAfterSeconds: 60 }]);
    expect((await other.hit(window))[0]).toMatchObject({ count: 2, over: false });
    const [third] = await limiter.hit(window);
    expect(third).toMatchObject({ count: 3, over: true });
    expect(third.retryAfterSeconds).toBeGreaterThan(50);
    expect(third.retryAfterSeconds).toBeLessThanOrEqual(60);
  });

  it('counts several windows in one call, each on its own', async () => {
    const tight = { key: uniqueName('tight'), limit: 1, windowMs: 60_000 };
    const loose = { key: uniqueName('loose'), limit: 10, windowMs: 60_000 };
    await limiter.hit(tight, loose);
    const [a, b] = await limiter.hit(tight, loose);
    expect([a.over, b.over, b.count]).toEqual([true, false, 2]);
  });

  it('takes an event back, forgets a window, and starts again once a window closes', async () => {
    const window = { key: uniqueName('w'), limit: 1, windowMs: 60_000 };
    await limiter.hit(window);
    await limiter.takeBack(window.key);
    expect((await limiter.hit(window))[0]).toMatchObject({ count: 1, over: false });
    await limiter.reset(window.key);
    expect((await limiter.hit(window))[0].count).toBe(1);

    const short = { key: uniqueName('short'), limit: 1, windowMs: 200 };
    await limiter.hit(short);
    expect((await limiter.hit(short))[0].over).toBe(true);
    await eventually(async () => (await limiter.hit(short))[0].count === 1, 'the window never closed', 5_000, 100);
  });
});

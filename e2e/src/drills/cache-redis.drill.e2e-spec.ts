/**
 * Drill: the cache Redis stops. Reads go to the database (the cache fails open, within its
 * small timeout, never hanging), readiness says degraded (not down), and caching resumes by
 * itself when Redis is back.
 */
import { eventually } from '@tenk/testing';
import { instanceUrl } from '../../support/e2e-env';
import { get, getFrom, infra, keepLoading, sleep } from './drill-support';

describe('drill: stop the cache Redis', () => {
  afterAll(async () => {
    await infra('up', 'redis-cache');
  });

  it('serves every read from the database while it is down, and caches again once it is back', async () => {
    // Warm: a repeated read is a cache hit.
    await get('/products/7');
    await eventually(async () => (await get('/products/7')).headers.get('x-cache') === 'HIT', 'no cache hit before the drill', 15_000, 100);

    await infra('down', 'redis-cache');
    const load = keepLoading((source, i) => getFrom(source, `/products/${1 + (i % 200)}`));
    await sleep(6_000);
    const tally = await load.stop();
    expect(tally.failures).toEqual([]);
    expect(tally.ok).toBeGreaterThan(30);

    // Which dependency is degraded is for operators: the instance's own port says it.
    expect((await get('/health/ready')).status).toBe(200);
    const ready = await fetch(instanceUrl('/health/ready'));
    expect(ready.status).toBe(200);
    const health = (await ready.json()) as { status: string; degraded: string[] };
    expect(health.status).toBe('degraded');
    expect(health.degraded).toContain('redis-cache');

    await infra('up', 'redis-cache');
    await eventually(
      async () => {
        await get('/products/8');
        return (await get('/products/8')).headers.get('x-cache') === 'HIT';
      },
      'caching did not resume after Redis came back',
      60_000,
      500,
    );
  });
});

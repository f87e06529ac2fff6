import { loadConfig } from '../tenk-config';

describe('cache configuration', () => {
  it('has working defaults', () => {
    const { cache } = loadConfig({});
    expect(cache).toMatchObject({
      namespace: 'tenk',
      version: 1,
      ttlMs: 300_000,
      staleMs: 30_000,
      notFoundTtlMs: 5_000,
      redisTimeoutMs: 100,
      stampedeGuard: true,
    });
  });

  it('reads durations, switches and sizes', () => {
    const { cache } = loadConfig({
      TENK_CACHE_TTL: '2m',
      TENK_CACHE_STAMPEDE_GUARD: 'off',
      TENK_CACHE_LOCAL_ENTRIES: '0',
      TENK_CACHE_NAMESPACE: 'lab-1',
    });
    expect(cache.ttlMs).toBe(120_000);
    expect(cache.stampedeGuard).toBe(false);
    expect(cache.localMaxEntries).toBe(0);
    expect(cache.namespace).toBe('lab-1');
  });

  it('names each bad variable', () => {
    expect(() => loadConfig({ TENK_CACHE_NAMESPACE: 'a b' })).toThrow(/TENK_CACHE_NAMESPACE="a b": expected 1-64 characters/);
    expect(() => loadConfig({ TENK_CACHE_TTL: '1s', TENK_CACHE_NOT_FOUND_TTL: '5s' })).toThrow(
      /TENK_CACHE_NOT_FOUND_TTL="5000": must not be longer than TENK_CACHE_TTL/,
    );
    expect(() => loadConfig({ TENK_CACHE_TTL_JITTER: '80' })).toThrow(/TENK_CACHE_TTL_JITTER="80": expected a whole number from 0 to 50/);
  });
});

import { EnvReader } from '../env-reader';

/** libs/caching: how long things live in the cache, and how it behaves when Redis is not there. */
export interface CacheConfig {
  /** First part of every key and channel, so several shops (or tests) can share one Redis. */
  namespace: string;
  /** Second part of every key: bump it when the shape of cached values changes, and old entries are never read again. */
  version: number;
  /**
   * How long an entry is fresh, unless a cache point says otherwise. Writes invalidate what they change, so the TTL is
   * a safety net (for changes made around the cache) and can be long: it sets the hit ratio of the long tail.
   */
  ttlMs: number;
  /** After that, how long a stale entry is still served while one caller refreshes it (stale-while-revalidate). */
  staleMs: number;
  /** How long a "does not exist" answer is cached, so a flood of misses for a missing id stays off the database. */
  notFoundTtlMs: number;
  /** Each TTL is spread by up to this many percent either way, so entries written together do not expire together. */
  jitterPercent: number;
  /** A Redis operation slower than this counts as failed: the request goes to the database instead of waiting. */
  redisTimeoutMs: number;
  /**
   * When this share (%) of Redis operations failed over the last `breakerWindowMs` (at 5 or more
   * per second), the cache is bypassed without trying Redis for `breakerOpenMs`; then one probe decides.
   */
  breakerThresholdPercent: number;
  breakerWindowMs: number;
  breakerOpenMs: number;
  /** The lease one instance holds while it loads a missing entry; the others wait for its result up to this long. */
  leaseMs: number;
  /**
   * For this long after a tag is invalidated, its reads skip the cache: a load may read a replica that has not
   * replayed the write yet, and caching that would show it to everyone. Never shorter than TENK_REPLICA_MAX_LAG.
   */
  settleMs: number;
  /** The in-process first tier: most entries it holds (0 turns it off) and the longest it keeps one. */
  localMaxEntries: number;
  localTtlMs: number;
  /** Coalesced loads, leases, stale-while-revalidate and TTL jitter; off only to measure what they prevent (lab `stampede`). */
  stampedeGuard: boolean;
  /** TTL of TypeORM's query cache (`.cache(true)` on a query) when the query names none. */
  queryTtlMs: number;
}

const NAMESPACE = /^[A-Za-z0-9_.-]{1,64}$/;

export function readCache(env: EnvReader): CacheConfig {
  const namespace = env.string('TENK_CACHE_NAMESPACE', 'tenk');
  if (!NAMESPACE.test(namespace)) env.problem('TENK_CACHE_NAMESPACE', namespace, 'expected 1-64 characters of A-Z, a-z, 0-9, _ . -');
  const ttlMs = env.durationMs('TENK_CACHE_TTL', 300_000);
  const notFoundTtlMs = env.durationMs('TENK_CACHE_NOT_FOUND_TTL', 5_000);
  const config: CacheConfig = {
    namespace,
    version: env.int('TENK_CACHE_VERSION', 1, { min: 1, max: 1_000_000 }),
    ttlMs,
    staleMs: env.durationMs('TENK_CACHE_STALE', 30_000),
    notFoundTtlMs,
    jitterPercent: env.int('TENK_CACHE_TTL_JITTER', 10, { min: 0, max: 50 }),
    redisTimeoutMs: env.durationMs('TENK_CACHE_REDIS_TIMEOUT', 100),
    breakerThresholdPercent: env.int('TENK_CACHE_BREAKER_THRESHOLD', 50, { min: 1, max: 100 }),
    breakerWindowMs: env.durationMs('TENK_CACHE_BREAKER_WINDOW', 2_000),
    breakerOpenMs: env.durationMs('TENK_CACHE_BREAKER_OPEN', 2_000),
    leaseMs: env.durationMs('TENK_CACHE_LEASE', 3_000),
    settleMs: env.durationMs('TENK_CACHE_SETTLE', 2_000),
    localMaxEntries: env.int('TENK_CACHE_LOCAL_ENTRIES', 2_000, { min: 0, max: 1_000_000 }),
    localTtlMs: env.durationMs('TENK_CACHE_LOCAL_TTL', 5_000),
    stampedeGuard: env.bool('TENK_CACHE_STAMPEDE_GUARD', true),
    queryTtlMs: env.durationMs('TENK_CACHE_QUERY_TTL', 30_000),
  };
  if (ttlMs < 1) env.problem('TENK_CACHE_TTL', String(ttlMs), 'must be at least 1 ms');
  if (notFoundTtlMs > ttlMs)
    env.problem('TENK_CACHE_NOT_FOUND_TTL', String(notFoundTtlMs), `must not be longer than TENK_CACHE_TTL (${ttlMs} ms)`);
  for (const [name, value] of [
    ['TENK_CACHE_REDIS_TIMEOUT', config.redisTimeoutMs],
    ['TENK_CACHE_LEASE', config.leaseMs],
    ['TENK_CACHE_BREAKER_OPEN', config.breakerOpenMs],
    ['TENK_CACHE_BREAKER_WINDOW', config.breakerWindowMs],
  ] as const) {
    if (value < 1) env.problem(name, String(value), 'must be at least 1 ms');
  }
  return config;
}

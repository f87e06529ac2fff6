import { EnvReader } from '../env-reader';

/**
 * The named resilience policies (libs/resilience): every downstream call names one, and its
 * numbers live here once. `shard` is a template: each shard gets its own breaker
 * (`shard:shard_2`) with these settings.
 */
export const RESILIENCE_POLICY_NAMES = ['payments', 'shard', 'kafka', 'smtp'] as const;
export type ResiliencePolicyName = (typeof RESILIENCE_POLICY_NAMES)[number];

export interface BreakerSettings {
  /** Share of failed calls in the window (0..1) at which the breaker opens. */
  failureRate: number;
  /** Share of slow calls in the window (0..1) at which the breaker opens. */
  slowCallRate: number;
  /** A call that takes longer than this counts as slow (even if it succeeds). */
  slowCallMs: number;
  /** The rolling window the rates are measured over. */
  windowMs: number;
  /** No verdict until the window holds this many calls (a few failures at low traffic are noise). */
  minimumCalls: number;
  /** How long the breaker stays open (failing fast) before it lets probe calls through. */
  openMs: number;
  /** Probe calls in half-open that must all succeed before it closes; one failure reopens it. */
  halfOpenProbes: number;
}

export interface RetrySettings {
  /** Retries after the first try (0 = none). Only idempotent work is ever retried. */
  retries: number;
  /** The first backoff; each retry doubles it, with full jitter, up to maxDelayMs. */
  initialDelayMs: number;
  maxDelayMs: number;
}

export interface BulkheadSettings {
  /** Calls allowed at once (0 = no bulkhead). */
  limit: number;
  /** Calls that may wait for a slot; beyond that they are rejected at once. */
  queue: number;
}

/** The layers a call can go through (libs/resilience nests them in this order, outermost first). */
export const RESILIENCE_LAYERS = ['bulkhead', 'retry', 'breaker', 'timeout'] as const;
export type ResilienceLayer = (typeof RESILIENCE_LAYERS)[number];

export interface ResiliencePolicySettings {
  /**
   * The layers this policy may use (default: all). A call uses the layers its code asks for
   * that are also listed here, so `TENK_RESILIENCE_PAYMENTS_LAYERS=timeout` keeps the payment
   * call's timeout and drops its breaker, retries and bulkhead (the lab's "timeout only" row).
   */
  layers: ResilienceLayer[];
  /** Each try is abandoned (and its request aborted) after this long. */
  timeoutMs: number;
  breaker: BreakerSettings;
  retry: RetrySettings;
  bulkhead: BulkheadSettings;
}

export type ResilienceConfig = Record<ResiliencePolicyName, ResiliencePolicySettings>;

/**
 * Defaults, and why:
 * - payments: a PSP answers in ~100-300 ms; 2 s is generous, beyond it the shopper has given up.
 *   10 calls before a verdict, half failing (or 80% slower than 1 s) opens it for 5 s; three
 *   probes must pass. Two retries (the idempotency key makes them safe), bulkhead of 32.
 * - shard: one breaker per shard database; queries are fast, so 2 s is a stuck pool or a cut
 *   network, not a slow query. No retries: writes run in transactions, and the caller decides.
 * - kafka: the outbox relay already keeps events and retries; the breaker only stops it from
 *   hammering a dead broker. Long timeout (acks from the cluster), long open time.
 * - smtp: mail is slow by nature; the breaker makes the mailer's jobs wait and retry rather
 *   than spin against a dead server.
 * (The cache Redis has its own fail-open guard in libs/caching, with TENK_CACHE_* settings: a
 * cache must keep its timeout even with the breakers switch off.)
 */
const DEFAULTS: ResilienceConfig = {
  payments: policy(
    2_000,
    { failureRate: 0.5, slowCallRate: 0.8, slowCallMs: 1_000, windowMs: 10_000, minimumCalls: 10, openMs: 5_000, halfOpenProbes: 3 },
    { retries: 2, initialDelayMs: 100, maxDelayMs: 1_000 },
    { limit: 32, queue: 32 },
  ),
  shard: policy(
    2_000,
    { failureRate: 0.5, slowCallRate: 0.8, slowCallMs: 1_000, windowMs: 10_000, minimumCalls: 10, openMs: 5_000, halfOpenProbes: 3 },
    { retries: 0, initialDelayMs: 50, maxDelayMs: 500 },
    { limit: 0, queue: 0 },
  ),
  kafka: policy(
    10_000,
    { failureRate: 0.5, slowCallRate: 1, slowCallMs: 5_000, windowMs: 30_000, minimumCalls: 5, openMs: 10_000, halfOpenProbes: 1 },
    { retries: 0, initialDelayMs: 200, maxDelayMs: 2_000 },
    { limit: 0, queue: 0 },
  ),
  smtp: policy(
    15_000,
    { failureRate: 0.5, slowCallRate: 1, slowCallMs: 10_000, windowMs: 60_000, minimumCalls: 5, openMs: 30_000, halfOpenProbes: 1 },
    { retries: 0, initialDelayMs: 500, maxDelayMs: 5_000 },
    { limit: 0, queue: 0 },
  ),
};

/**
 * Each setting can be changed per environment: TENK_RESILIENCE_<POLICY>_<SETTING>, e.g.
 * TENK_RESILIENCE_PAYMENTS_TIMEOUT=1500ms, TENK_RESILIENCE_SHARD_OPEN_FOR=10s,
 * TENK_RESILIENCE_PAYMENTS_FAILURE_RATE=25 (percent). The settings: TIMEOUT, FAILURE_RATE,
 * SLOW_CALL_RATE, SLOW_CALL, WINDOW, MIN_CALLS, OPEN_FOR, PROBES, RETRIES, RETRY_DELAY,
 * RETRY_MAX_DELAY, BULKHEAD, BULKHEAD_QUEUE, LAYERS (e.g. TENK_RESILIENCE_PAYMENTS_LAYERS=timeout).
 */
export function readResilience(env: EnvReader): ResilienceConfig {
  const config = {} as ResilienceConfig;
  for (const name of RESILIENCE_POLICY_NAMES) config[name] = readPolicy(env, name, DEFAULTS[name]);
  return config;
}

function readPolicy(env: EnvReader, name: ResiliencePolicyName, defaults: ResiliencePolicySettings): ResiliencePolicySettings {
  const v = (setting: string) => `TENK_RESILIENCE_${name.toUpperCase()}_${setting}`;
  const percent = (setting: string, fallback: number) => env.int(v(setting), Math.round(fallback * 100), { min: 1, max: 100 }) / 100;
  const { breaker, retry, bulkhead } = defaults;
  const layers = env.list(v('LAYERS'), [...RESILIENCE_LAYERS]);
  const unknown = layers.filter((layer) => !(RESILIENCE_LAYERS as readonly string[]).includes(layer));
  if (unknown.length > 0)
    env.problem(v('LAYERS'), layers.join(','), `unknown layer ${unknown.join(', ')}; expected some of ${RESILIENCE_LAYERS.join(', ')}`);
  return {
    layers: RESILIENCE_LAYERS.filter((layer) => layers.includes(layer)),
    timeoutMs: env.durationMs(v('TIMEOUT'), defaults.timeoutMs),
    breaker: {
      failureRate: percent('FAILURE_RATE', breaker.failureRate),
      slowCallRate: percent('SLOW_CALL_RATE', breaker.slowCallRate),
      slowCallMs: env.durationMs(v('SLOW_CALL'), breaker.slowCallMs),
      windowMs: env.durationMs(v('WINDOW'), breaker.windowMs),
      minimumCalls: env.int(v('MIN_CALLS'), breaker.minimumCalls, { min: 1, max: 100_000 }),
      openMs: env.durationMs(v('OPEN_FOR'), breaker.openMs),
      halfOpenProbes: env.int(v('PROBES'), breaker.halfOpenProbes, { min: 1, max: 100 }),
    },
    retry: {
      retries: env.int(v('RETRIES'), retry.retries, { min: 0, max: 10 }),
      initialDelayMs: env.durationMs(v('RETRY_DELAY'), retry.initialDelayMs),
      maxDelayMs: env.durationMs(v('RETRY_MAX_DELAY'), retry.maxDelayMs),
    },
    bulkhead: {
      limit: env.int(v('BULKHEAD'), bulkhead.limit, { min: 0, max: 100_000 }),
      queue: env.int(v('BULKHEAD_QUEUE'), bulkhead.queue, { min: 0, max: 100_000 }),
    },
  };
}

function policy(timeoutMs: number, breaker: BreakerSettings, retry: RetrySettings, bulkhead: BulkheadSettings): ResiliencePolicySettings {
  return { layers: [...RESILIENCE_LAYERS], timeoutMs, breaker, retry, bulkhead };
}

import { EnvReader } from '../env-reader';

/**
 * Load shedding in each api instance (libs/resilience's LoadShedder): when its event loop is
 * saturated, new requests are answered 503 + Retry-After at once instead of queueing behind
 * work the instance cannot finish in time. The bounds are for normal-priority routes; cheap,
 * deferrable work (catalog browsing, reports) is shed earlier, checkout and sign-in later.
 */
export interface SheddingConfig {
  /** TENK_SHED: on (default) or off. */
  enabled: boolean;
  /** TENK_SHED_DELAY: event-loop delay (the longest in the last interval) past which normal requests are shed. */
  delayMs: number;
  /**
   * TENK_SHED_UTILIZATION (percent): event-loop utilization over the last interval past which
   * normal requests are shed; 100 (the default) leaves utilization out: a loop busy all the
   * time but on time is serving at capacity, which admission control aims for.
   */
  utilization: number;
  /** TENK_SHED_INTERVAL: how often delay and utilization are sampled (and the verdict renewed). */
  intervalMs: number;
  /** TENK_SHED_RETRY_AFTER: the Retry-After (seconds) of a shed request. */
  retryAfterSeconds: number;
}

export function readShedding(env: EnvReader): SheddingConfig {
  const delayMs = env.durationMs('TENK_SHED_DELAY', 200);
  if (delayMs < 1 || delayMs > 60_000) env.problem('TENK_SHED_DELAY', `${delayMs}ms`, 'expected a duration from 1ms to 60s');
  const intervalMs = env.durationMs('TENK_SHED_INTERVAL', 100);
  if (intervalMs < 10 || intervalMs > 10_000)
    env.problem('TENK_SHED_INTERVAL', `${intervalMs}ms`, 'expected a duration from 10ms to 10s (the sampling period)');
  return {
    enabled: env.bool('TENK_SHED', true),
    delayMs,
    utilization: env.int('TENK_SHED_UTILIZATION', 100, { min: 1, max: 100 }) / 100,
    intervalMs,
    retryAfterSeconds: env.int('TENK_SHED_RETRY_AFTER', 1, { min: 1, max: 3600 }),
  };
}

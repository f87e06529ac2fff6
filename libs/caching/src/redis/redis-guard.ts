import { Inject, Injectable } from '@nestjs/common';
import { CircuitState, SamplingBreaker, TimeoutStrategy, circuitBreaker, handleAll, isBrokenCircuitError, isTaskCancelledError, timeout, wrap } from 'cockatiel';
import { PinoLogger } from 'nestjs-pino';
import { setMaxListeners } from 'node:events';
import { CACHE_SETTINGS, type CacheSettings } from '../cache-settings';
import { CacheMetrics, type RedisFailure, type RedisOperation } from '../cache.metrics';

/** Below this rate of Redis operations the breaker stays closed: each operation is bounded by the timeout anyway. */
const MINIMUM_RPS = 5;

export type RedisOutcome<T> = { ok: true; value: T } | { ok: false; reason: RedisFailure };

/**
 * Every cache Redis operation runs through here: it gets `redisTimeoutMs` to answer, and when
 * `breakerThresholdPercent` of them failed over `breakerWindowMs` the breaker opens: operations
 * fail at once for `breakerOpenMs`, then one probe decides. A share rather than a run of
 * failures, so a burst of timeouts from one busy event-loop turn does not switch the cache off.
 * Failures come back as values, never as exceptions: the caller goes on without the cache
 * (fail-open). cockatiel runs the state machine.
 */
@Injectable()
export class RedisGuard {
  readonly #policy;
  readonly #breaker;
  /** Handed to every execute(): cockatiel listens on it once per call in flight, and hundreds can be. */
  readonly #neverAborted = new AbortController().signal;

  constructor(
    @Inject(CACHE_SETTINGS) settings: CacheSettings,
    private readonly metrics: CacheMetrics,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext('cache-redis');
    this.#breaker = circuitBreaker(handleAll, {
      halfOpenAfter: settings.breakerOpenMs,
      breaker: new SamplingBreaker({ threshold: settings.breakerThresholdPercent / 100, duration: settings.breakerWindowMs, minimumRps: MINIMUM_RPS }),
    });
    setMaxListeners(0, this.#neverAborted);
    this.#policy = wrap(this.#breaker, timeout(settings.redisTimeoutMs, TimeoutStrategy.Aggressive));
    this.metrics.breakerState('closed');
    this.#breaker.onBreak(() => {
      this.metrics.breakerState('open');
      this.logger.warn(`over ${settings.breakerThresholdPercent}% of cache Redis operations failed: bypassing the cache, probing again in ${settings.breakerOpenMs} ms`);
    });
    this.#breaker.onHalfOpen(() => this.metrics.breakerState('half-open'));
    this.#breaker.onReset(() => {
      this.metrics.breakerState('closed');
      this.logger.info('cache Redis answers again: breaker closed');
    });
  }

  /** Open: operations fail at once (they still run through run(), which is how the breaker learns when to probe). */
  get isOpen(): boolean {
    return this.#breaker.state === CircuitState.Open || this.#breaker.state === CircuitState.Isolated;
  }

  async run<T>(operation: RedisOperation, command: () => Promise<T>): Promise<RedisOutcome<T>> {
    try {
      return { ok: true, value: await this.#policy.execute(() => command(), this.#neverAborted) };
    } catch (error) {
      const reason: RedisFailure = isBrokenCircuitError(error) ? 'breaker_open' : isTaskCancelledError(error) ? 'timeout' : 'error';
      this.metrics.redisFailure(operation, reason);
      if (reason === 'error') this.logger.debug({ err: error, operation }, 'cache Redis operation failed');
      return { ok: false, reason };
    }
  }
}

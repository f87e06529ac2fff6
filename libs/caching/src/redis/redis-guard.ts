import { Inject, Injectable } from '@nestjs/common';
import { CircuitState, ConsecutiveBreaker, TimeoutStrategy, circuitBreaker, handleAll, isBrokenCircuitError, isTaskCancelledError, timeout, wrap } from 'cockatiel';
import { PinoLogger } from 'nestjs-pino';
import { CACHE_SETTINGS, type CacheSettings } from '../cache-settings';
import { CacheMetrics, type RedisFailure, type RedisOperation } from '../cache.metrics';

export type RedisOutcome<T> = { ok: true; value: T } | { ok: false; reason: RedisFailure };

/**
 * Every cache Redis operation runs through here: it gets `redisTimeoutMs` to answer, and after
 * `breakerFailures` failures in a row the breaker opens and operations fail at once for
 * `breakerOpenMs`, then one probe decides. Failures come back as values, never as exceptions:
 * the caller goes on without the cache (fail-open). cockatiel runs the state machine.
 */
@Injectable()
export class RedisGuard {
  readonly #policy;
  readonly #breaker;

  constructor(
    @Inject(CACHE_SETTINGS) settings: CacheSettings,
    private readonly metrics: CacheMetrics,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext('cache-redis');
    this.#breaker = circuitBreaker(handleAll, { halfOpenAfter: settings.breakerOpenMs, breaker: new ConsecutiveBreaker(settings.breakerFailures) });
    this.#policy = wrap(this.#breaker, timeout(settings.redisTimeoutMs, TimeoutStrategy.Aggressive));
    this.metrics.breakerState('closed');
    this.#breaker.onBreak(() => {
      this.metrics.breakerState('open');
      this.logger.warn(`cache Redis failed ${settings.breakerFailures} times in a row: bypassing the cache, probing again in ${settings.breakerOpenMs} ms`);
    });
    this.#breaker.onHalfOpen(() => this.metrics.breakerState('half-open'));
    this.#breaker.onReset(() => {
      this.metrics.breakerState('closed');
      this.logger.info('cache Redis answers again: breaker closed');
    });
  }

  /** While open, the cache is not even tried: lookups go straight to the source. */
  get isOpen(): boolean {
    return this.#breaker.state === CircuitState.Open || this.#breaker.state === CircuitState.Isolated;
  }

  async run<T>(operation: RedisOperation, command: () => Promise<T>): Promise<RedisOutcome<T>> {
    try {
      return { ok: true, value: await this.#policy.execute(() => command()) };
    } catch (error) {
      const reason: RedisFailure = isBrokenCircuitError(error) ? 'breaker_open' : isTaskCancelledError(error) ? 'timeout' : 'error';
      this.metrics.redisFailure(operation, reason);
      if (reason === 'error') this.logger.debug({ err: error, operation }, 'cache Redis operation failed');
      return { ok: false, reason };
    }
  }
}

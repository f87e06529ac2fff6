import { Inject, Injectable } from '@nestjs/common';
import { CircuitState, SamplingBreaker, circuitBreaker, handleAll, isBrokenCircuitError, type CircuitBreakerPolicy } from 'cockatiel';
import { PinoLogger } from 'nestjs-pino';
import { setMaxListeners } from 'node:events';
import { CACHE_SETTINGS, type CacheSettings } from '../cache-settings';
import { CacheMetrics, type RedisFailure, type RedisOperation } from '../cache.metrics';

/** Below this rate of Redis operations the breaker stays closed: each operation is bounded by the timeout anyway. */
const MINIMUM_RPS = 5;

export type RedisOutcome<T> = { ok: true; value: T } | { ok: false; reason: RedisFailure };

/** A Redis operation that did not answer within `redisTimeoutMs`. */
export class RedisTimeoutError extends Error {
  readonly isRedisTimeout = true;

  constructor(
    readonly operation: RedisOperation,
    readonly timeoutMs: number,
  ) {
    super(`cache Redis did not answer ${operation} within ${timeoutMs} ms`);
    this.name = 'RedisTimeoutError';
  }
}

export const isRedisTimeout = (error: unknown): error is RedisTimeoutError =>
  (error as { isRedisTimeout?: boolean } | null)?.isRedisTimeout === true;

/**
 * Every cache Redis operation runs through here: it gets `redisTimeoutMs` to answer, and when
 * `breakerThresholdPercent` of them failed over `breakerWindowMs` the breaker opens: operations
 * fail at once for `breakerOpenMs`, then one probe decides. A share rather than a run of
 * failures, so a burst of slow answers in one busy moment does not switch the cache off.
 * Failures come back as values, never as exceptions: the caller goes on without the cache
 * (fail-open). cockatiel runs the breaker's state machine.
 */
@Injectable()
export class RedisGuard {
  readonly #breaker: CircuitBreakerPolicy;
  readonly #timeoutMs: number;
  /** Handed to every execute(): cockatiel listens on it once per call in flight, and hundreds can be. */
  readonly #neverAborted = new AbortController().signal;

  constructor(
    @Inject(CACHE_SETTINGS) settings: CacheSettings,
    private readonly metrics: CacheMetrics,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext('cache-redis');
    this.#timeoutMs = settings.redisTimeoutMs;
    this.#breaker = circuitBreaker(handleAll, {
      halfOpenAfter: settings.breakerOpenMs,
      breaker: new SamplingBreaker({
        threshold: settings.breakerThresholdPercent / 100,
        duration: settings.breakerWindowMs,
        minimumRps: MINIMUM_RPS,
      }),
    });
    setMaxListeners(0, this.#neverAborted);
    this.metrics.breakerState('closed');
    this.#breaker.onBreak(() => {
      this.metrics.breakerState('open');
      this.logger.warn(
        `over ${settings.breakerThresholdPercent}% of cache Redis operations failed: bypassing the cache, probing again in ${settings.breakerOpenMs} ms`,
      );
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
      return { ok: true, value: await this.#breaker.execute(() => this.#withTimeout(operation, command), this.#neverAborted) };
    } catch (error) {
      const reason: RedisFailure = isBrokenCircuitError(error) ? 'breaker_open' : isRedisTimeout(error) ? 'timeout' : 'error';
      this.metrics.redisFailure(operation, reason);
      if (reason === 'error') this.logger.debug({ err: error, operation }, 'cache Redis operation failed');
      return { ok: false, reason };
    }
  }

  /**
   * Rejects when `command` has not answered within the timeout. When the timer fires after a
   * busy stretch of this process, the answer may already be waiting on the socket: it is read
   * in the event loop's poll phase, which runs before setImmediate callbacks, so the verdict
   * waits for that phase. A busy process is then not mistaken for a slow Redis.
   */
  #withTimeout<T>(operation: RedisOperation, command: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        setImmediate(() => {
          if (settled) return;
          settled = true;
          reject(new RedisTimeoutError(operation, this.#timeoutMs));
        });
      }, this.#timeoutMs);
      command().then(
        (value) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }
}

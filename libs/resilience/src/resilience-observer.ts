import { Injectable } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import type { Counter, Gauge } from 'prom-client';
import { MetricsService } from '@tenk/observability';
import { BREAKER_STATE_VALUE, type BreakerState, type BreakerTransition } from './breaker/breaker-state';
import type { BreakerListener } from './breaker/managed-breaker';
import { isCallTimeoutError } from './errors';

/**
 * Turns what the policies do into structured log lines and Prometheus metrics. Every state
 * change is one log line (warn when a breaker opens) and a change of `tenk_breaker_state`.
 */
@Injectable()
export class ResilienceObserver implements BreakerListener {
  readonly #state: Gauge<'breaker'>;
  readonly #transitions: Counter<'breaker' | 'from' | 'to'>;
  readonly #rejections: Counter<'breaker' | 'state'>;
  readonly #successes: Counter<'breaker'>;
  readonly #failures: Counter<'breaker' | 'kind'>;
  readonly #slowCalls: Counter<'breaker'>;
  readonly #retries: Counter<'policy'>;
  readonly #timeouts: Counter<'policy'>;
  readonly #bulkheadRejections: Counter<'policy'>;

  constructor(
    metrics: MetricsService,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext('resilience');
    this.#state = metrics.gauge('tenk_breaker_state', 'Circuit breaker state: 0 closed, 1 open, 2 half-open', ['breaker']);
    this.#transitions = metrics.counter('tenk_breaker_transitions_total', 'Circuit breaker state changes', ['breaker', 'from', 'to']);
    this.#rejections = metrics.counter(
      'tenk_breaker_rejections_total',
      'Calls refused by an open (or half-open, probe slots taken) breaker without reaching the downstream',
      ['breaker', 'state'],
    );
    this.#successes = metrics.counter('tenk_breaker_successes_total', 'Calls through a breaker that the downstream answered in time', [
      'breaker',
    ]);
    this.#failures = metrics.counter('tenk_breaker_failures_total', 'Calls through a breaker that failed (kind: timeout or error)', [
      'breaker',
      'kind',
    ]);
    this.#slowCalls = metrics.counter(
      'tenk_breaker_slow_calls_total',
      'Calls through a breaker that answered slower than the slow-call threshold',
      ['breaker'],
    );
    this.#retries = metrics.counter('tenk_retries_total', 'Retries of idempotent calls, after a backoff', ['policy']);
    this.#timeouts = metrics.counter('tenk_call_timeouts_total', 'Tries abandoned by a timeout policy', ['policy']);
    this.#bulkheadRejections = metrics.counter('tenk_bulkhead_rejections_total', 'Calls refused by a full bulkhead', ['policy']);
  }

  created(breaker: string): void {
    this.#state.set({ breaker }, BREAKER_STATE_VALUE.closed);
  }

  transition({ breaker, from, to, window, reason }: BreakerTransition): void {
    this.#state.set({ breaker }, BREAKER_STATE_VALUE[to]);
    this.#transitions.inc({ breaker, from, to });
    const fields = {
      breaker,
      from,
      to,
      calls: window.calls,
      failureRate: round(window.failureRate),
      slowCallRate: round(window.slowCallRate),
      ...(reason ? { reason } : {}),
    };
    const message = `circuit breaker ${breaker} ${from} -> ${to}`;
    if (to === 'open') this.logger.warn(fields, message);
    else this.logger.info(fields, message);
  }

  rejected(breaker: string, state: Exclude<BreakerState, 'closed'>): void {
    this.#rejections.inc({ breaker, state });
  }

  completed(breaker: string, outcome: 'success' | 'failure' | 'slow', error?: unknown): void {
    if (outcome === 'success') this.#successes.inc({ breaker });
    else if (outcome === 'slow') this.#slowCalls.inc({ breaker });
    else this.#failures.inc({ breaker, kind: isCallTimeoutError(error) ? 'timeout' : 'error' });
  }

  retried(policy: string, attempt: number, delayMs: number, error: unknown): void {
    this.#retries.inc({ policy });
    this.logger.debug(
      { policy, attempt, delayMs: Math.round(delayMs), err: error },
      `${policy}: retry ${attempt} in ${Math.round(delayMs)} ms`,
    );
  }

  timedOut(policy: string): void {
    this.#timeouts.inc({ policy });
  }

  bulkheadRejected(policy: string): void {
    this.#bulkheadRejections.inc({ policy });
  }
}

const round = (value: number) => Math.round(value * 1000) / 1000;

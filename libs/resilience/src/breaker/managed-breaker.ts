import { circuitBreaker, CircuitState, handleAll, isBrokenCircuitError, type CircuitBreakerPolicy } from 'cockatiel';
import type { BreakerSettings } from '@tenk/config';
import { CircuitOpenError } from '../errors';
import type { BreakerState, BreakerTransition, WindowSnapshot } from './breaker-state';
import { RollingWindowBreaker, SlowCall } from './rolling-window-breaker';

/** What happens to a breaker, for metrics and logs. */
export interface BreakerListener {
  transition(transition: BreakerTransition): void;
  /** A call was refused without reaching the downstream. */
  rejected(breaker: string, state: Exclude<BreakerState, 'closed'>): void;
  /** A call reached the downstream and ended so. */
  completed(breaker: string, outcome: 'success' | 'failure' | 'slow', error?: unknown): void;
}

export interface BreakerSnapshot {
  breaker: string;
  state: BreakerState;
  window: WindowSnapshot;
  /** Open: how long until probes are let through. */
  retryAfterMs: number;
}

/** An error the downstream is not to blame for (a 4xx): an answer, so it counts as a success. */
class Answered {
  constructor(readonly error: unknown) {}
}

/**
 * One named breaker: cockatiel's CircuitBreakerPolicy with the RollingWindowBreaker strategy,
 * plus what the library leaves to its user: timing each call (slow calls), telling the
 * downstream's failures from the caller's own errors, the probe slots of half-open, and the
 * three outward states with their transitions reported.
 */
export class ManagedBreaker {
  readonly key: string;
  readonly #settings: BreakerSettings;
  readonly #listener: BreakerListener;
  readonly #now: () => number;
  readonly #strategy: RollingWindowBreaker;
  readonly #policy: CircuitBreakerPolicy;
  #state: BreakerState = 'closed';
  #openedAt = 0;
  #probesInFlight = 0;

  constructor(key: string, settings: BreakerSettings, listener: BreakerListener, now: () => number = Date.now) {
    this.key = key;
    this.#settings = settings;
    this.#listener = listener;
    this.#now = now;
    this.#strategy = new RollingWindowBreaker(settings, () => this.#policy.lastFailure, now);
    this.#strategy.onProbesPassed = () => this.#moveTo('closed');
    this.#policy = circuitBreaker(
      handleAll.orWhenResult((result) => result instanceof SlowCall),
      { halfOpenAfter: settings.openMs, breaker: this.#strategy },
    );
    this.#policy.onStateChange((state) => this.#follow(state));
  }

  get state(): BreakerState {
    return this.#state;
  }

  snapshot(): BreakerSnapshot {
    return { breaker: this.key, state: this.#state, window: this.#strategy.snapshot(), retryAfterMs: this.retryAfterMs() };
  }

  /** Open: the rest of the open time; half-open: a second (the probes decide soon). */
  retryAfterMs(): number {
    if (this.#state === 'open') return Math.max(0, this.#openedAt + this.#settings.openMs - this.#now());
    return this.#state === 'half-open' ? Math.min(1_000, this.#settings.openMs) : 0;
  }

  /**
   * Runs `work` through the breaker. Throws CircuitOpenError at once when open, or when
   * half-open with every probe slot taken; `isFailure(error)` false means the downstream
   * answered (a 4xx), which counts as a success and is rethrown as is.
   */
  async execute<T>(work: (signal: AbortSignal) => Promise<T>, signal: AbortSignal, isFailure: (error: unknown) => boolean): Promise<T> {
    this.#admit();
    const probe = this.#state !== 'closed';
    if (probe) this.#probesInFlight++;
    let result: T | SlowCall<T> | Answered;
    try {
      result = await this.#policy.execute(async (context) => {
        const started = this.#now();
        try {
          const value = await work(context.signal);
          const durationMs = this.#now() - started;
          return durationMs > this.#settings.slowCallMs ? new SlowCall(value, durationMs) : value;
        } catch (error) {
          if (!isFailure(error)) return new Answered(error);
          throw error;
        }
      }, signal);
    } catch (error) {
      if (isBrokenCircuitError(error)) throw this.#reject('open');
      this.#listener.completed(this.key, 'failure', error);
      throw error;
    } finally {
      if (probe) this.#probesInFlight--;
    }
    if (result instanceof Answered) {
      this.#listener.completed(this.key, 'success');
      throw result.error;
    }
    if (result instanceof SlowCall) {
      this.#listener.completed(this.key, 'slow');
      return result.value;
    }
    this.#listener.completed(this.key, 'success');
    return result;
  }

  /**
   * Half-open admits only as many calls as probes remain. While cockatiel's own test call runs,
   * it would queue every other caller behind it; refusing them keeps half-open fast too.
   */
  #admit(): void {
    if (this.#policy.state === CircuitState.HalfOpen) throw this.#reject('half-open');
    if (this.#strategy.probing && this.#probesInFlight >= this.#strategy.probesLeft) throw this.#reject('half-open');
  }

  #reject(state: Exclude<BreakerState, 'closed'>): CircuitOpenError {
    this.#listener.rejected(this.key, state);
    return new CircuitOpenError(this.key, state, this.retryAfterMs());
  }

  /** Maps cockatiel's states to the outward three (probation still counts as half-open). */
  #follow(state: CircuitState): void {
    switch (state) {
      case CircuitState.Open:
      case CircuitState.Isolated:
        this.#openedAt = this.#now();
        this.#moveTo('open', describe(this.#policy.lastFailure));
        break;
      case CircuitState.HalfOpen:
        this.#moveTo('half-open');
        break;
      case CircuitState.Closed:
        if (!this.#strategy.probing) this.#moveTo('closed');
        break;
    }
  }

  #moveTo(to: BreakerState, reason?: string): void {
    const from = this.#state;
    if (from === to) return;
    this.#state = to;
    this.#listener.transition({ breaker: this.key, from, to, window: this.#strategy.snapshot(), ...(reason ? { reason } : {}) });
  }
}

function describe(reason: CircuitBreakerPolicy['lastFailure']): string | undefined {
  if (!reason) return undefined;
  if ('error' in reason) return reason.error instanceof Error ? `${reason.error.name}: ${reason.error.message}` : String(reason.error);
  return reason.value instanceof SlowCall ? `slow call: ${Math.round(reason.value.durationMs)} ms` : 'failed result';
}

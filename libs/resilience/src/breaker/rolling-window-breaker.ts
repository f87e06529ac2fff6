import { CircuitState, type FailureReason, type IBreaker } from 'cockatiel';
import type { BreakerSettings } from '@tenk/config';
import type { WindowSnapshot } from './breaker-state';

const BUCKETS = 10;

/** A call that answered, but slower than the policy's slowCallMs: it counts against the breaker. */
export class SlowCall<T = unknown> {
  constructor(
    readonly value: T,
    readonly durationMs: number,
  ) {}
}

type Outcome = 'success' | 'failure' | 'slow';

/**
 * When cockatiel's CircuitBreakerPolicy should open, as a cockatiel breaker strategy (the
 * library's extension point; the states and their transitions stay the library's):
 * - a rolling time window in ten buckets, so old calls age out without a timer;
 * - no verdict below `minimumCalls` calls in the window;
 * - opens when failures reach `failureRate`, or slow calls reach `slowCallRate`, of the window;
 * - half-open lets `halfOpenProbes` probe calls through: cockatiel's own test call, then
 *   (cockatiel having closed) the rest as probation, where a single failure reopens it.
 */
export class RollingWindowBreaker implements IBreaker {
  readonly #settings: BreakerSettings;
  readonly #lastFailure: () => FailureReason<unknown> | undefined;
  readonly #now: () => number;
  readonly #bucketMs: number;
  readonly #epochs = new Float64Array(BUCKETS).fill(-1);
  readonly #calls = new Uint32Array(BUCKETS);
  readonly #failures = new Uint32Array(BUCKETS);
  readonly #slow = new Uint32Array(BUCKETS);
  #probesLeft = 0;
  /** Called when the last probe of probation succeeded: the breaker is closed for real. */
  onProbesPassed: () => void = () => undefined;

  /**
   * @param lastFailure the policy's `lastFailure`: cockatiel sets it right before calling
   *   `failure()`, which tells a slow answer from an error.
   */
  constructor(settings: BreakerSettings, lastFailure: () => FailureReason<unknown> | undefined, now: () => number = Date.now) {
    this.#settings = settings;
    this.#lastFailure = lastFailure;
    this.#now = now;
    this.#bucketMs = Math.max(1, Math.ceil(settings.windowMs / BUCKETS));
  }

  /** In probation: cockatiel has closed after its test call, more probes must still pass. */
  get probing(): boolean {
    return this.#probesLeft > 0;
  }

  get probesLeft(): number {
    return this.#probesLeft;
  }

  get state(): unknown {
    return {
      epochs: [...this.#epochs],
      calls: [...this.#calls],
      failures: [...this.#failures],
      slow: [...this.#slow],
      probesLeft: this.#probesLeft,
    };
  }

  set state(value: unknown) {
    const saved = value as { epochs: number[]; calls: number[]; failures: number[]; slow: number[]; probesLeft: number };
    this.#epochs.set(saved.epochs);
    this.#calls.set(saved.calls);
    this.#failures.set(saved.failures);
    this.#slow.set(saved.slow);
    this.#probesLeft = saved.probesLeft;
  }

  success(state: CircuitState): void {
    if (state === CircuitState.HalfOpen) {
      // The test call passed: start a fresh window, and require the remaining probes.
      this.#reset();
      this.#probesLeft = this.#settings.halfOpenProbes - 1;
      this.#record('success');
      return;
    }
    this.#record('success');
    if (this.#probesLeft > 0 && --this.#probesLeft === 0) this.onProbesPassed();
  }

  failure(state: CircuitState): boolean {
    const reason = this.#lastFailure();
    this.#record(reason !== undefined && 'value' in reason && reason.value instanceof SlowCall ? 'slow' : 'failure');
    if (state !== CircuitState.Closed || this.#probesLeft > 0) {
      this.#probesLeft = 0;
      return true;
    }
    const window = this.snapshot();
    if (window.calls < this.#settings.minimumCalls) return false;
    return window.failureRate >= this.#settings.failureRate || window.slowCallRate >= this.#settings.slowCallRate;
  }

  /** The calls in the window now. */
  snapshot(): WindowSnapshot {
    const current = Math.floor(this.#now() / this.#bucketMs);
    let calls = 0;
    let failures = 0;
    let slowCalls = 0;
    for (let i = 0; i < BUCKETS; i++) {
      if (current - this.#epochs[i] >= BUCKETS) continue;
      calls += this.#calls[i];
      failures += this.#failures[i];
      slowCalls += this.#slow[i];
    }
    return { calls, failures, slowCalls, failureRate: calls ? failures / calls : 0, slowCallRate: calls ? slowCalls / calls : 0 };
  }

  #record(outcome: Outcome): void {
    const epoch = Math.floor(this.#now() / this.#bucketMs);
    const i = epoch % BUCKETS;
    if (this.#epochs[i] !== epoch) {
      this.#epochs[i] = epoch;
      this.#calls[i] = 0;
      this.#failures[i] = 0;
      this.#slow[i] = 0;
    }
    this.#calls[i]++;
    if (outcome === 'failure') this.#failures[i]++;
    else if (outcome === 'slow') this.#slow[i]++;
  }

  #reset(): void {
    this.#epochs.fill(-1);
  }
}

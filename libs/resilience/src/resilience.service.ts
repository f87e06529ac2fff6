import { Injectable, Optional } from '@nestjs/common';
import { isBulkheadRejectedError, TaskCancelledError } from 'cockatiel';
import { annotateActiveSpan, inSpan, tracingEnabled } from '@tenk/observability';
import { SwitchesService } from '@tenk/switches';
import type { BreakerSnapshot } from './breaker/managed-breaker';
import { NEVER_ABORTED, runWithCallSignal } from './call-signal';
import { BulkheadFullError, CallTimeoutError, isCallTimeoutError, isRejection } from './errors';
import { PolicyRegistry } from './policy-registry';
import { ResilienceObserver } from './resilience-observer';

/** The layers a call can go through; they always nest in this order, outermost first. */
export const LAYERS = ['bulkhead', 'retry', 'breaker', 'timeout'] as const;
export type Layer = (typeof LAYERS)[number];

export interface CallOptions<T> {
  /** Which layers to use (default: bulkhead, breaker, timeout; plus retry when idempotent). */
  layers?: readonly Layer[];
  /**
   * The work can run twice without harm: a read, or a write carrying an idempotency key. Only
   * then is it retried.
   */
  idempotent?: boolean;
  /**
   * Whether an error is the downstream's failure (default: every error). Return false for
   * the caller's own mistakes (a 4xx): they count as answers, never trip the breaker, never
   * retry.
   */
  isFailure?: (error: unknown) => boolean;
  /** Answers instead when the call fails or is refused (open breaker, full bulkhead). */
  fallback?: (error: unknown) => T | Promise<T>;
  /** Cancels the call from outside (the client went away). */
  signal?: AbortSignal;
}

const always = () => true;

/**
 * Errors that must not be retried: refusals, answers the caller is to blame for, and timeouts
 * (a try that used its whole budget against a downstream that is probably hanging; retrying
 * would multiply the wait, and the breaker is the answer to a hang).
 */
class DoNotRetry {
  constructor(readonly error: unknown) {}
}

/**
 * Runs work through the named policies of the config. The decorators use it; code that is not a
 * decorated provider method calls it directly:
 *   resilience.execute('shard:shard_2', (signal) => query(signal))
 * The key's part before ':' names the policy; each key has its own breaker and bulkhead. With
 * the `breakers` switch off, work runs straight against the downstream, with no policy at all;
 * a policy's `layers` setting keeps only some layers (e.g. the timeout without the breaker).
 */
@Injectable()
export class ResilienceService {
  constructor(
    private readonly registry: PolicyRegistry,
    private readonly observer: ResilienceObserver,
    @Optional() private readonly switches?: SwitchesService,
  ) {}

  get enabled(): boolean {
    return this.switches?.isOn('breakers') ?? true;
  }

  async execute<T>(key: string, work: (signal: AbortSignal) => T | Promise<T>, options: CallOptions<T> = {}): Promise<T> {
    if (!tracingEnabled()) return this.#execute(key, work, options);
    // A span per protected call: the breaker's state as the call found it, and (annotated by
    // the retry layer) the attempt that settled it.
    const breakerState = !this.enabled
      ? 'switched-off'
      : this.allows(key, 'breaker')
        ? this.registry.breaker(key).snapshot().state
        : 'not-used';
    return inSpan(`resilience ${key}`, { attributes: { 'tenk.resilience.key': key, 'tenk.breaker.state': breakerState } }, () =>
      this.#execute(key, work, options),
    );
  }

  async #execute<T>(key: string, work: (signal: AbortSignal) => T | Promise<T>, options: CallOptions<T>): Promise<T> {
    const layers = this.#layers(key, options);
    const signal = options.signal ?? NEVER_ABORTED;
    if (!this.enabled) return work(signal);
    const isFailure = options.isFailure ?? always;
    try {
      return await this.#run(key, layers, work, isFailure, signal);
    } catch (error) {
      if (options.fallback && (isRejection(error) || isFailure(error))) return options.fallback(error);
      throw error;
    }
  }

  /** Whether the policy's config lets calls under `key` use `layer` (TENK_RESILIENCE_<POLICY>_LAYERS). */
  allows(key: string, layer: Layer): boolean {
    return this.registry.settings(key).layers.includes(layer);
  }

  /** Every breaker made so far, with its state and window. */
  breakers(): BreakerSnapshot[] {
    return this.registry.breakers().map((breaker) => breaker.snapshot());
  }

  breaker(key: string): BreakerSnapshot {
    return this.registry.breaker(key).snapshot();
  }

  #layers(key: string, options: CallOptions<unknown>): ReadonlySet<Layer> {
    this.registry.policyOf(key);
    const layers = new Set<Layer>(
      options.layers ?? ['bulkhead', 'breaker', 'timeout', ...(options.idempotent ? (['retry'] as const) : [])],
    );
    if (layers.has('retry') && !options.idempotent) {
      throw new TypeError(
        `${key}: retry asked for work not marked idempotent; retry only reads, or writes that carry an idempotency key, and say so with { idempotent: true }`,
      );
    }
    // The policy's config may narrow them (TENK_RESILIENCE_<POLICY>_LAYERS), e.g. timeout only.
    const allowed = this.registry.settings(key).layers;
    for (const layer of layers) if (!allowed.includes(layer)) layers.delete(layer);
    return layers;
  }

  #run<T>(
    key: string,
    layers: ReadonlySet<Layer>,
    work: (signal: AbortSignal) => T | Promise<T>,
    isFailure: (error: unknown) => boolean,
    signal: AbortSignal,
  ): Promise<T> {
    const policy = this.registry.policyOf(key);
    let call = (s: AbortSignal): Promise<T> => runWithCallSignal(s, async () => work(s));

    if (layers.has('timeout')) {
      const inner = call;
      const timeout = this.registry.timeout(policy);
      const timeoutMs = this.registry.settings(key).timeoutMs;
      call = (s) =>
        timeout
          .execute((context) => inner(context.signal), s)
          .catch((error: unknown) => {
            // (cockatiel 3.2.1's isTaskCancelledError() tests for the wrong marker: use instanceof.)
            throw error instanceof TaskCancelledError && !s.aborted ? new CallTimeoutError(key, timeoutMs) : error;
          });
    }

    if (layers.has('breaker')) {
      const inner = call;
      const breaker = this.registry.breaker(key);
      call = (s) => breaker.execute(inner, s, isFailure);
    }

    const retry = layers.has('retry') ? this.registry.retry(policy) : undefined;
    if (retry) {
      const inner = call;
      call = async (s) => {
        const result = await retry.execute(async (context) => {
          annotateActiveSpan({ 'tenk.retry.count': context.attempt });
          try {
            return await inner(context.signal);
          } catch (error) {
            if (isRejection(error) || isCallTimeoutError(error) || !isFailure(error)) return new DoNotRetry(error);
            throw error;
          }
        }, s);
        if (result instanceof DoNotRetry) throw result.error;
        return result;
      };
    }

    const bulkhead = layers.has('bulkhead') ? this.registry.bulkhead(key) : undefined;
    if (bulkhead) {
      const inner = call;
      const { limit, queue } = this.registry.settings(key).bulkhead;
      call = (s) =>
        bulkhead
          .execute((context) => inner(context.signal), s)
          .catch((error: unknown) => {
            if (!isBulkheadRejectedError(error)) throw error;
            this.observer.bulkheadRejected(key);
            throw new BulkheadFullError(key, limit, queue);
          });
    }

    return call(signal);
  }
}

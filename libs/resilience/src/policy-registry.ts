import { Injectable } from '@nestjs/common';
import {
  BulkheadPolicy,
  ExponentialBackoff,
  handleAll,
  retry,
  timeout,
  TimeoutStrategy,
  type RetryPolicy,
  type TimeoutPolicy,
} from 'cockatiel';
import {
  InjectConfig,
  RESILIENCE_POLICY_NAMES,
  type ResiliencePolicyName,
  type ResiliencePolicySettings,
  type TenkConfig,
} from '@tenk/config';
import { ManagedBreaker } from './breaker/managed-breaker';
import { ResilienceObserver } from './resilience-observer';

/**
 * The named policies of the config, built once with cockatiel and kept: one breaker and one
 * bulkhead per key (`payments`, `shard:shard_2`: each shard its own), one timeout and one
 * retry policy per policy name (they hold no per-call state).
 */
@Injectable()
export class PolicyRegistry {
  readonly #config: TenkConfig['resilience'];
  readonly #breakers = new Map<string, ManagedBreaker>();
  readonly #bulkheads = new Map<string, BulkheadPolicy>();
  readonly #timeouts = new Map<ResiliencePolicyName, TimeoutPolicy>();
  readonly #retries = new Map<ResiliencePolicyName, RetryPolicy>();

  constructor(
    @InjectConfig() config: TenkConfig,
    private readonly observer: ResilienceObserver,
  ) {
    this.#config = config.resilience;
  }

  /** `shard:shard_2` -> `shard`. Throws, naming the known policies, for an unknown one. */
  policyOf(key: string): ResiliencePolicyName {
    const name = key.split(':', 1)[0];
    if (!(RESILIENCE_POLICY_NAMES as readonly string[]).includes(name)) {
      throw new Error(
        `unknown resilience policy "${name}" (key "${key}"): the policies are ${RESILIENCE_POLICY_NAMES.join(', ')}; add one in libs/config/src/sections/resilience.ts`,
      );
    }
    return name as ResiliencePolicyName;
  }

  settings(key: string): ResiliencePolicySettings {
    return this.#config[this.policyOf(key)];
  }

  breaker(key: string): ManagedBreaker {
    let breaker = this.#breakers.get(key);
    if (!breaker) {
      breaker = new ManagedBreaker(key, this.settings(key).breaker, this.observer);
      this.#breakers.set(key, breaker);
      this.observer.created(key);
    }
    return breaker;
  }

  /** Undefined when the policy has no bulkhead (limit 0). */
  bulkhead(key: string): BulkheadPolicy | undefined {
    const { limit, queue } = this.settings(key).bulkhead;
    if (limit === 0) return undefined;
    let bulkhead = this.#bulkheads.get(key);
    if (!bulkhead) {
      bulkhead = new BulkheadPolicy(limit, queue);
      this.#bulkheads.set(key, bulkhead);
    }
    return bulkhead;
  }

  /** Aggressive: the caller gets its answer at the deadline; the work's signal is aborted. */
  timeout(policy: ResiliencePolicyName): TimeoutPolicy {
    let policyTimeout = this.#timeouts.get(policy);
    if (!policyTimeout) {
      policyTimeout = timeout(this.#config[policy].timeoutMs, { strategy: TimeoutStrategy.Aggressive, abortOnReturn: false });
      policyTimeout.onTimeout(() => this.observer.timedOut(policy));
      this.#timeouts.set(policy, policyTimeout);
    }
    return policyTimeout;
  }

  /**
   * Exponential backoff with decorrelated jitter (cockatiel's default generator), so retries
   * from many callers spread out instead of arriving together. Undefined when retries are 0.
   * What is retried is decided by the caller (see ResilienceService): this one retries all.
   */
  retry(policy: ResiliencePolicyName): RetryPolicy | undefined {
    const { retries, initialDelayMs, maxDelayMs } = this.#config[policy].retry;
    if (retries === 0) return undefined;
    let policyRetry = this.#retries.get(policy);
    if (!policyRetry) {
      policyRetry = retry(handleAll, {
        maxAttempts: retries,
        backoff: new ExponentialBackoff({ initialDelay: initialDelayMs, maxDelay: maxDelayMs }),
      });
      policyRetry.onRetry((event) => this.observer.retried(policy, event.attempt, event.delay, 'error' in event ? event.error : undefined));
      this.#retries.set(policy, policyRetry);
    }
    return policyRetry;
  }

  /** Every breaker made so far (they are made on first use). */
  breakers(): ManagedBreaker[] {
    return [...this.#breakers.values()];
  }
}

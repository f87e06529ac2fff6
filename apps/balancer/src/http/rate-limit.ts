import type { LimitReqRule, LimitReqZoneConfig } from '../config/schema';
import { Template, type VariableContext } from './variables';

/** A key's bucket: nginx's ngx_http_limit_req_node_t (excess in 1/1000 requests). */
interface KeyState {
  excessMilli: number;
  lastMs: number;
}

/**
 * One limit_req_zone: nginx's leaky bucket per key. Each request adds one to the key's
 * "excess", which drains at `rate` per second; a request that would push excess above
 * `burst` is rejected (and does not count). Requests within burst are delayed so the key
 * proceeds at `rate`, unless `nodelay` (or `delay=N` for the first N). Keys are held in
 * insertion order and the oldest is dropped when the zone is full.
 */
export class RateLimitZone {
  readonly name: string;
  readonly key: Template;
  /** Requests per millisecond x 1000 (excess units per ms). */
  #ratePerMs: number;
  #capacity: number;
  readonly #states = new Map<string, KeyState>();
  rejected = 0;
  delayed = 0;
  passed = 0;

  constructor(config: LimitReqZoneConfig) {
    this.name = config.name;
    this.key = new Template(config.key);
    this.#ratePerMs = config.rate;
    this.#capacity = config.capacity;
  }

  /** Takes a reloaded zone's rate and size, keeping the buckets (as nginx keeps shared zones). */
  reconfigure(config: LimitReqZoneConfig): void {
    this.#ratePerMs = config.rate;
    this.#capacity = config.capacity;
  }

  get size(): number {
    return this.#states.size;
  }

  get rate(): number {
    return this.#ratePerMs;
  }

  /**
   * Accounts one request for `key` at `now` (ms). Returns the delay to apply in ms (0: go
   * now), or, when the request is rejected, minus the seconds until the key could pass again
   * (a number rather than an object: this runs on every request of a limited location).
   */
  check(key: string, rule: LimitReqRule, now: number, dryRun: boolean): number {
    const states = this.#states;
    const burstMilli = rule.burst * 1000;
    let state = states.get(key);
    let excess = 0;
    if (state !== undefined) {
      // Any use makes the key the most recently used (as nginx's LRU queue), rejected or not.
      states.delete(key);
      states.set(key, state);
      let elapsed = now - state.lastMs;
      if (elapsed < 0) elapsed = 0;
      excess = state.excessMilli - this.#ratePerMs * elapsed + 1000;
      if (excess < 0) excess = 0;
      if (excess > burstMilli) {
        this.rejected++;
        // Time until the bucket has drained enough for one more request to fit.
        const waitMs = (state.excessMilli - this.#ratePerMs * elapsed + 1000 - burstMilli) / this.#ratePerMs;
        return dryRun ? 0 : -Math.max(1, Math.ceil(waitMs / 1000));
      }
      state.excessMilli = excess;
      state.lastMs = now;
    } else {
      if (states.size >= this.#capacity) {
        const oldest = states.keys().next();
        if (!oldest.done) states.delete(oldest.value);
      }
      state = { excessMilli: 0, lastMs: now };
      states.set(key, state);
    }
    const delayMilli = rule.delay === Number.POSITIVE_INFINITY ? Number.POSITIVE_INFINITY : rule.delay * 1000;
    if (excess === 0 || excess <= delayMilli || dryRun) {
      this.passed++;
      return 0;
    }
    this.delayed++;
    return Math.ceil((excess - delayMilli) / this.#ratePerMs);
  }

  keyFor(context: VariableContext): string {
    return this.key.evaluate(context);
  }
}

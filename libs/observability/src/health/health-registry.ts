import { Injectable } from '@nestjs/common';

/** What a dependency check reports: nothing (healthy), or details worth showing. */
export type CheckOutcome = void | { degraded?: boolean; details?: Record<string, unknown> };

export interface ReadinessCheck {
  /** Shown as the key in /health/ready, e.g. `postgres-primary`, `redis-cache`. */
  name: string;
  /**
   * Critical: without it this process cannot serve (503, the balancer stops sending traffic).
   * Not critical: a failure shows as degraded and the process stays in rotation, e.g. the
   * cache Redis (the cache fails open) or an open circuit breaker.
   */
  critical: boolean;
  /** Throws (or rejects) when the dependency is unusable. */
  check(): Promise<CheckOutcome>;
}

/**
 * Modules register the dependencies their process needs; /health/ready checks them all. The
 * registry is how a lib adds its checks without the app listing them.
 */
@Injectable()
export class HealthRegistry {
  readonly #checks = new Map<string, ReadinessCheck>();

  register(check: ReadinessCheck): void {
    this.#checks.set(check.name, check);
  }

  list(): ReadinessCheck[] {
    return [...this.#checks.values()];
  }
}

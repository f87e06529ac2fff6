import { Injectable } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { MetricsService } from '@tenk/observability';

export type LoginOutcome = 'success' | 'failure' | 'throttled_account' | 'throttled_client';

/** Sign-ins and sign-ups as Prometheus counters: a spike of failures is someone guessing. */
@Injectable()
export class AuthMetrics {
  readonly #logins: Counter<'outcome'>;
  readonly #signups: Counter<'outcome'>;

  constructor(metrics: MetricsService) {
    this.#logins = metrics.counter('tenk_auth_logins_total', 'Sign-in attempts by outcome', ['outcome']);
    this.#signups = metrics.counter('tenk_auth_signups_total', 'Sign-ups by outcome', ['outcome']);
  }

  login(outcome: LoginOutcome): void {
    this.#logins.inc({ outcome });
  }

  signup(outcome: 'created' | 'email_taken'): void {
    this.#signups.inc({ outcome });
  }
}

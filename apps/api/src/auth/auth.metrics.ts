import { Injectable } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { MetricsService } from '@tenk/observability';

/** `throttled_account`: this account from this client address waits (see LoginThrottle). */
export type LoginOutcome = 'success' | 'failure' | 'throttled_account' | 'throttled_client';
export type SignupOutcome = 'created' | 'email_taken' | 'throttled';
export type SessionsEndedReason = 'role_changed' | 'account_deleted';

/** Sign-ins, sign-ups and ended sessions as Prometheus counters: a spike of failures is someone guessing. */
@Injectable()
export class AuthMetrics {
  readonly #logins: Counter<'outcome'>;
  readonly #signups: Counter<'outcome'>;
  readonly #sessionsEnded: Counter<'reason'>;

  constructor(metrics: MetricsService) {
    this.#logins = metrics.counter('tenk_auth_logins_total', 'Sign-in attempts by outcome', ['outcome']);
    this.#signups = metrics.counter('tenk_auth_signups_total', 'Sign-ups by outcome', ['outcome']);
    this.#sessionsEnded = metrics.counter(
      'tenk_auth_sessions_ended_total',
      'Sessions ended by an admin, by reason (role changed, account deleted)',
      ['reason'],
    );
  }

  login(outcome: LoginOutcome): void {
    this.#logins.inc({ outcome });
  }

  signup(outcome: SignupOutcome): void {
    this.#signups.inc({ outcome });
  }

  sessionsEnded(reason: SessionsEndedReason, count: number): void {
    this.#sessionsEnded.inc({ reason }, count);
  }
}

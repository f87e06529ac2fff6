import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { InjectConfig, type AccountsConfig, type TenkConfig } from '@tenk/config';
import { AuthRedis } from './auth-redis';

export type ThrottleScope = 'account' | 'client';

export type ThrottleVerdict = { throttled: false } | { throttled: true; scope: ThrottleScope; retryAfterSeconds: number };

/**
 * Limits password guessing, per account (whoever is guessing) and per client address (whatever
 * account it tries), with fixed windows counted in Redis so every api instance shares them.
 *
 * An attempt is counted as a failure *before* the password is checked, and the count is taken
 * back when it succeeds: checking first and counting after would let a burst of parallel
 * guesses all pass the check before any failure was recorded.
 */
@Injectable()
export class LoginThrottle {
  readonly #limits: AccountsConfig['login'];

  constructor(
    private readonly redis: AuthRedis,
    @InjectConfig() config: TenkConfig,
  ) {
    this.#limits = config.accounts.login;
  }

  /** Counts one sign-in attempt; says whether it may go on to the password check. */
  async attempt(email: string, client: string): Promise<ThrottleVerdict> {
    const account = accountKey(email);
    const from = clientKey(client);
    const windowMs = this.#limits.windowMs;
    const replies = await this.redis.client
      .multi()
      .incr(account)
      .pexpire(account, windowMs, 'NX')
      .incr(from)
      .pexpire(from, windowMs, 'NX')
      .pttl(account)
      .pttl(from)
      .exec();
    if (!replies) throw new Error('the sign-in counters transaction was aborted');
    const [accountCount, , clientCount, , accountTtl, clientTtl] = replies.map(([error, value]) => {
      if (error) throw error;
      return Number(value);
    });
    if (accountCount > this.#limits.maxFailuresPerAccount) return { throttled: true, scope: 'account', retryAfterSeconds: seconds(accountTtl, windowMs) };
    if (clientCount > this.#limits.maxFailuresPerClient) return { throttled: true, scope: 'client', retryAfterSeconds: seconds(clientTtl, windowMs) };
    return { throttled: false };
  }

  /**
   * The attempt succeeded: the account's failures are forgiven, and the client's count drops
   * by this attempt only (a valid login must not wipe out the failures of a guessing client).
   */
  async succeeded(email: string, client: string): Promise<void> {
    const from = clientKey(client);
    const replies = await this.redis.client.multi().del(accountKey(email)).decr(from).exec();
    // The window may have closed in between, leaving -1 without an expiry: remove it.
    if (Number(replies?.[1]?.[1] ?? 0) <= 0) await this.redis.client.del(from);
  }
}

/** Emails are case-insensitive; the key holds a hash, so Redis never holds who tried. */
function accountKey(email: string): string {
  return `login:failures:account:${createHash('sha256').update(email.trim().toLowerCase()).digest('hex').slice(0, 32)}`;
}

function clientKey(address: string): string {
  return `login:failures:client:${normalizeAddress(address)}`;
}

/** `::ffff:203.0.113.7` and `203.0.113.7` are the same client. */
export function normalizeAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return (mapped ? mapped[1] : address).toLowerCase();
}

function seconds(ttlMs: number, windowMs: number): number {
  return Math.max(1, Math.ceil((ttlMs > 0 ? ttlMs : windowMs) / 1000));
}

import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type Redis from 'ioredis';
import { InjectConfig, type AccountsConfig, type TenkConfig } from '@tenk/config';
import { AuthRedis } from './auth-redis';
import { normalizeAddress } from './client-address';

/** `account`: this account from this client address; `client`: this address, any account. */
export type ThrottleScope = 'account' | 'client';

export type ThrottleVerdict = { throttled: false } | { throttled: true; scope: ThrottleScope; retryAfterSeconds: number };

/** The first wait once a client used up its failures on an account; it doubles with each further failure. */
export const FIRST_DELAY_MS = 1_000;

/**
 * One attempt, atomically. KEYS: the account+client failure count, its wait, the client's
 * count. ARGV: window ms, free failures per account+client, per client, first delay ms.
 * Returns {0} to go on, {1, ms} while the account+client waits, {2, ms} when the client is over.
 */
const ATTEMPT = `
local waiting = redis.call('PTTL', KEYS[2])
if waiting > 0 then return {1, waiting} end
local fromClient = redis.call('INCR', KEYS[3])
redis.call('PEXPIRE', KEYS[3], ARGV[1], 'NX')
if fromClient > tonumber(ARGV[3]) then return {2, redis.call('PTTL', KEYS[3])} end
local failures = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1], 'NX')
local over = failures - tonumber(ARGV[2])
if over >= 0 then
  redis.call('SET', KEYS[2], failures, 'PX', math.floor(math.min(tonumber(ARGV[4]) * 2 ^ over, tonumber(ARGV[1]))))
end
return {0, 0}
`;

/**
 * A checked attempt failed: once the account+client is at its free failures, its wait starts
 * again from now (the wait set at admission only kept parallel guesses out while this one was
 * checked). KEYS: the account+client failure count, its wait. ARGV: free failures, first delay
 * ms, window ms.
 */
const FAILED = `
local failures = tonumber(redis.call('GET', KEYS[1]) or '0')
local over = failures - tonumber(ARGV[1])
if over >= 0 then
  redis.call('SET', KEYS[2], failures, 'PX', math.floor(math.min(tonumber(ARGV[2]) * 2 ^ over, tonumber(ARGV[3]))))
end
return failures
`;

interface ThrottleCommands {
  tenkLoginFailed(pair: string, wait: string, perPair: number, firstDelayMs: number, windowMs: number): Promise<number>;
  tenkLoginAttempt(
    pair: string,
    wait: string,
    client: string,
    windowMs: number,
    perPair: number,
    perClient: number,
    firstDelayMs: number,
  ): Promise<[number, number]>;
}

/**
 * Limits password guessing in Redis, so every api instance shares the counts:
 * - per account *and client address*: after TENK_LOGIN_MAX_FAILURES_PER_ACCOUNT failures, that
 *   client waits before each further try on that account, 1 s, then 2, 4, ... (at most the
 *   window). A stranger guessing slows only themselves: the owner, signing in from their own
 *   address, still gets in (a lock per account alone would let anyone lock anyone out);
 * - per client address, over all accounts: TENK_LOGIN_MAX_FAILURES_PER_CLIENT in the window.
 *
 * An attempt is counted as a failure *before* the password is checked, and the count is taken
 * back when it succeeds: checking first and counting after would let a burst of parallel
 * guesses all pass the check before any failure was recorded.
 */
@Injectable()
export class LoginThrottle {
  readonly #limits: AccountsConfig['login'];
  readonly #redis: Redis & ThrottleCommands;

  constructor(redis: AuthRedis, @InjectConfig() config: TenkConfig) {
    this.#limits = config.accounts.login;
    redis.client.defineCommand('tenkLoginAttempt', { numberOfKeys: 3, lua: ATTEMPT });
    redis.client.defineCommand('tenkLoginFailed', { numberOfKeys: 2, lua: FAILED });
    this.#redis = redis.client as Redis & ThrottleCommands;
  }

  /** Counts one sign-in attempt; says whether it may go on to the password check. */
  async attempt(email: string, client: string): Promise<ThrottleVerdict> {
    const pair = pairKeys(email, client);
    const { windowMs, maxFailuresPerAccount, maxFailuresPerClient } = this.#limits;
    const [verdict, ttlMs] = await this.#redis.tenkLoginAttempt(
      pair.failures,
      pair.wait,
      clientKey(client),
      windowMs,
      maxFailuresPerAccount,
      maxFailuresPerClient,
      FIRST_DELAY_MS,
    );
    if (verdict === 0) return { throttled: false };
    return {
      throttled: true,
      scope: verdict === 1 ? 'account' : 'client',
      retryAfterSeconds: Math.max(1, Math.ceil((ttlMs > 0 ? ttlMs : windowMs) / 1000)),
    };
  }

  /** The password was wrong: a client past its free failures on the account waits from now on. */
  async failed(email: string, client: string): Promise<void> {
    const pair = pairKeys(email, client);
    await this.#redis.tenkLoginFailed(pair.failures, pair.wait, this.#limits.maxFailuresPerAccount, FIRST_DELAY_MS, this.#limits.windowMs);
  }

  /**
   * The attempt succeeded: the account+client failures and wait are forgiven, and the client's
   * count drops by this attempt only (a valid login must not wipe out the failures of a
   * guessing client).
   */
  async succeeded(email: string, client: string): Promise<void> {
    const pair = pairKeys(email, client);
    const from = clientKey(client);
    const replies = await this.#redis.multi().del(pair.failures, pair.wait).decr(from).exec();
    // The window may have closed in between, leaving -1 without an expiry: remove it.
    if (Number(replies?.[1]?.[1] ?? 0) <= 0) await this.#redis.del(from);
  }
}

/** Emails are case-insensitive; keys hold a hash, so Redis never holds who tried. */
function pairKeys(email: string, client: string): { failures: string; wait: string } {
  const id = createHash('sha256')
    .update(`${email.trim().toLowerCase()}\n${normalizeAddress(client)}`)
    .digest('hex')
    .slice(0, 32);
  return { failures: `login:failures:account-client:${id}`, wait: `login:wait:account-client:${id}` };
}

function clientKey(address: string): string {
  return `login:failures:client:${normalizeAddress(address)}`;
}

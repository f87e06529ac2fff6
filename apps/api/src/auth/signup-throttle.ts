import { Injectable } from '@nestjs/common';
import { InjectConfig, type AccountsConfig, type TenkConfig } from '@tenk/config';
import { AuthRedis } from './auth-redis';
import { normalizeAddress } from './client-address';

export type SignupVerdict = { throttled: false } | { throttled: true; retryAfterSeconds: number; limit: number; windowSeconds: number };

/**
 * Sign-ups per client address in a fixed window (TENK_SIGNUP_MAX_PER_CLIENT per
 * TENK_SIGNUP_WINDOW), counted in Redis so every api instance shares them. Each sign-up costs a
 * password hash (tens of ms of CPU) and a mail, so one client cannot make them by the thousand.
 * Counted before anything is done, so parallel sign-ups cannot slip past the limit together.
 */
@Injectable()
export class SignupThrottle {
  readonly #limits: AccountsConfig['signup'];

  constructor(
    private readonly redis: AuthRedis,
    @InjectConfig() config: TenkConfig,
  ) {
    this.#limits = config.accounts.signup;
  }

  async attempt(client: string): Promise<SignupVerdict> {
    const key = `signup:client:${normalizeAddress(client)}`;
    const { maxPerClient, windowMs } = this.#limits;
    const replies = await this.redis.client.multi().incr(key).pexpire(key, windowMs, 'NX').pttl(key).exec();
    if (!replies) throw new Error('the sign-up counter transaction was aborted');
    const [count, , ttl] = replies.map(([error, value]) => {
      if (error) throw error;
      return Number(value);
    });
    if (count <= maxPerClient) return { throttled: false };
    return {
      throttled: true,
      retryAfterSeconds: Math.max(1, Math.ceil((ttl > 0 ? ttl : windowMs) / 1000)),
      limit: maxPerClient,
      windowSeconds: Math.round(windowMs / 1000),
    };
  }
}

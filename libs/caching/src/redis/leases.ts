import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { CACHE_SETTINGS, type CacheSettings } from '../cache-settings';
import { CacheKeys } from '../cache-keys';
import { CacheRedis } from './cache-redis';
import { RedisGuard, type RedisOutcome } from './redis-guard';
import { RedisScript } from './redis-script';

/** Deletes the lease only if it is still ours: after it expired, another instance may hold it. */
const RELEASE = new RedisScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`);

/**
 * The short Redis lease that makes one instance, of all, load a missing entry while the others
 * wait for its result: `SET lease token NX PX leaseMs`. It expires by itself, so an instance
 * that dies while loading holds the others up for at most `leaseMs`.
 */
@Injectable()
export class Leases {
  readonly #leaseMs: number;

  constructor(
    @Inject(CACHE_SETTINGS) settings: CacheSettings,
    private readonly keys: CacheKeys,
    private readonly redis: CacheRedis,
    private readonly guard: RedisGuard,
  ) {
    this.#leaseMs = settings.leaseMs;
  }

  /** The token when this caller got the lease, undefined when another holds it. */
  async acquire(entryKey: string): Promise<RedisOutcome<string | undefined>> {
    const token = randomBytes(9).toString('base64url');
    const outcome = await this.guard.run('lease', () =>
      this.redis.client.set(this.keys.lease(entryKey), token, { condition: 'NX', expiration: { type: 'PX', value: this.#leaseMs } }),
    );
    if (!outcome.ok) return outcome;
    return { ok: true, value: outcome.value === 'OK' ? token : undefined };
  }

  /** Lets go of a lease (a failure only means the others wait until it expires). */
  async release(entryKey: string, token: string): Promise<void> {
    await this.guard.run('lease', () => RELEASE.run(this.redis.client, [this.keys.lease(entryKey)], [token]));
  }
}

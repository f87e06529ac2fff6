import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { CacheKeys } from './cache-keys';
import { CACHING_OPTIONS, type CachingModuleOptions } from './caching.module-definition';
import { LocalTier } from './local-tier';
import { CacheRedis } from './redis/cache-redis';
import { RedisGuard, type RedisOutcome } from './redis/redis-guard';
import { RedisScript } from './redis/redis-script';

/** Most tags a process remembers the generation of; beyond that it starts over (and asks Redis again). */
const MAX_REMEMBERED = 50_000;

// A generation is the Redis clock (ms) of the tag's last change, doubled, plus 1 when the change
// was an invalidation (0 when the key was merely created because it did not exist). It only
// ever grows, also when Redis evicted the key: a missing generation is created from "now",
// which orphans every entry written under an older one. Lua numbers are doubles: exact here.
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

const FETCH = new RedisScript(`${NOW}
local out = {}
for i, key in ipairs(KEYS) do
  local generation = redis.call('GET', key)
  if not generation then
    generation = string.format('%.0f', now * 2)
    redis.call('SET', key, generation)
  end
  out[i] = generation
end
return out`);

/**
 * Bumps each tag past both now and its current generation (odd: an invalidation), then tells
 * every process: ARGV[1] channel, ARGV[2] the tags joined by ','.
 */
const BUMP = new RedisScript(`${NOW}
local out = {}
for i, key in ipairs(KEYS) do
  local current = tonumber(redis.call('GET', key) or '0')
  local generation = math.max(now * 2 + 1, current + 1)
  if generation % 2 == 0 then generation = generation + 1 end
  out[i] = string.format('%.0f', generation)
  redis.call('SET', key, out[i])
end
redis.call('PUBLISH', ARGV[1], ARGV[2] .. '|' .. table.concat(out, ','))
return out`);

/** When the most recent invalidation among these generations happened (Redis clock, ms), or 0 if none was one. */
export function lastInvalidationMs(generations: readonly number[]): number {
  let newest = 0;
  for (const generation of generations) if (generation % 2 === 1) newest = Math.max(newest, (generation - 1) / 2);
  return newest;
}

/**
 * Tag generations: invalidating a tag bumps its generation, and every key carries the
 * generations of its tags, so all entries of a tag become unreachable in one Redis write (no
 * SCAN, no DEL; the orphans expire). Each process remembers generations while its pub/sub
 * subscription is live and asks Redis otherwise; losing the subscription clears what it
 * remembers and the in-process tier, since invalidations may have been missed meanwhile.
 */
@Injectable()
export class Generations implements OnModuleInit {
  readonly #known = new Map<string, number>();
  readonly #fetching = new Map<string, Promise<RedisOutcome<number[]>>>();
  /** Bumped by forget(): a Redis reply that was on its way meanwhile is used but not remembered. */
  #epoch = 0;
  readonly #mustSeeOwnWrites: (() => boolean) | undefined;

  constructor(
    private readonly keys: CacheKeys,
    private readonly redis: CacheRedis,
    private readonly guard: RedisGuard,
    private readonly local: LocalTier,
    private readonly logger: PinoLogger,
    @Inject(CACHING_OPTIONS) options: CachingModuleOptions,
  ) {
    this.logger.setContext('cache');
    this.#mustSeeOwnWrites = options.mustSeeOwnWrites;
  }

  onModuleInit(): void {
    this.redis.onSubscriberChange((live) => {
      this.forget();
      if (!live)
        this.logger.warn(
          'cache invalidation messages interrupted: in-process cache cleared, generations read from Redis until they flow again',
        );
    });
    this.redis.listen((message) => this.#apply(message));
  }

  /**
   * The current generation of each tag, in order: remembered while pub/sub flows, else (and for
   * a client that must see its own writes, CachingModuleOptions.mustSeeOwnWrites) from Redis.
   */
  async current(tags: readonly string[]): Promise<RedisOutcome<number[]>> {
    const known = this.known(tags);
    if (known !== undefined) return known;
    // Concurrent lookups of the same tags share one round trip.
    const joined = tags.join(',');
    let fetching = this.#fetching.get(joined);
    if (!fetching) {
      fetching = this.#fetch(tags).finally(() => this.#fetching.delete(joined));
      this.#fetching.set(joined, fetching);
    }
    return fetching;
  }

  /**
   * The generations current() would answer without Redis (remembered while pub/sub flows, for
   * a client that need not see its own writes), or undefined: then ask current(). Synchronous,
   * so a cache hit served from memory awaits nothing for them.
   */
  known(tags: readonly string[]): RedisOutcome<number[]> | undefined {
    if (tags.length === 0) return { ok: true, value: [] };
    if (!this.redis.subscriberLive || this.#mustSeeOwnWrites?.() === true) return undefined;
    const remembered: number[] = [];
    for (const tag of tags) {
      const generation = this.#known.get(tag);
      if (generation === undefined) return undefined;
      remembered.push(generation);
    }
    return { ok: true, value: remembered };
  }

  async #fetch(tags: readonly string[]): Promise<RedisOutcome<number[]>> {
    const epoch = this.#epoch;
    const fetched = await this.guard.run('generations', () =>
      FETCH.run(
        this.redis.client,
        tags.map((tag) => this.keys.generation(tag)),
        [],
      ),
    );
    if (!fetched.ok) return fetched;
    const values = (fetched.value as string[]).map(Number);
    return { ok: true, value: epoch === this.#epoch ? tags.map((tag, i) => this.#remember(tag, values[i])) : values };
  }

  /** Invalidates the tags everywhere: new generations, published to every process. */
  async bump(tags: readonly string[]): Promise<RedisOutcome<number[]>> {
    const bumped = await this.guard.run('invalidate', () =>
      BUMP.run(
        this.redis.client,
        tags.map((tag) => this.keys.generation(tag)),
        [this.redis.channel, tags.join(',')],
      ),
    );
    if (!bumped.ok) return bumped;
    return { ok: true, value: tags.map((tag, i) => this.#remember(tag, Number((bumped.value as string[])[i]))) };
  }

  /** Drops what this process remembers (generations and the in-process tier built on them). */
  forget(): void {
    this.#epoch += 1;
    this.#known.clear();
    this.local.clear();
  }

  #apply(message: string): void {
    const [tags, generations] = message.split('|');
    if (!tags || !generations) return;
    const values = generations.split(',').map(Number);
    tags.split(',').forEach((tag, i) => {
      if (Number.isFinite(values[i])) this.#remember(tag, values[i]);
    });
  }

  /** Generations only grow: a reply that crossed a newer pub/sub message must not win. */
  #remember(tag: string, generation: number): number {
    const known = this.#known.get(tag);
    const newest = known === undefined ? generation : Math.max(known, generation);
    if (this.#known.size >= MAX_REMEMBERED && known === undefined) this.#known.clear();
    this.#known.set(tag, newest);
    return newest;
  }
}

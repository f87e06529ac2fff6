import { Inject, Injectable, OnModuleDestroy, OnModuleInit, Optional } from '@nestjs/common';
import type { Cache } from 'cache-manager';
import { PinoLogger } from 'nestjs-pino';
import { setTimeout as sleep } from 'node:timers/promises';
import { SwitchesService } from '@tenk/switches';
import { CACHE_SETTINGS, type CacheSettings } from './cache-settings';
import {
  asCacheEntry,
  defaultNotFound,
  frozenEntry,
  isFresh,
  notFoundError,
  withJitter,
  type CacheEntry,
  type NotFoundAnswer,
} from './cache-entry';
import { assertValidTag, CacheKeys } from './cache-keys';
import { CacheMetrics, type LookupDetail, type LookupOutcome } from './cache.metrics';
import { Generations, lastInvalidationMs } from './generations';
import { LocalTier } from './local-tier';
import { CacheRedis } from './redis/cache-redis';
import { Leases } from './redis/leases';

/** The cache-manager Cache on the Redis tier (a Keyv store that fails open). */
export const SHARED_CACHE = Symbol.for('tenk.caching.shared-cache');

/** One read through the cache. */
export interface CacheLookup<T> {
  /** What is cached, for keys and metrics: `CatalogService.get`, `GET /products/:id`. */
  name: string;
  /** Which one of them (see cacheId()): `42`, `?page=2&sort=name`. */
  id: string;
  /** Invalidating any of these tags (CacheService.invalidate) drops the entry everywhere. */
  tags?: readonly string[];
  /** How long it stays fresh; the configured TTL when left out. */
  ttlMs?: number;
  /** Reads it from the source (the database) on a miss. */
  load: () => Promise<T>;
  /** Which errors of `load` mean "does not exist" and are cached briefly; default: a 404 HttpException. */
  notFound?: (error: unknown) => NotFoundAnswer | undefined;
  /**
   * No reader ever changes the value (the HTTP cache's responses: strings). The in-process tier
   * then keeps the entry itself, frozen, and every hit gets that same object: no JSON parse per
   * hit, and whatever a caller derives from it once (the body's bytes, see readyBody()) is
   * reused. Left out, each hit gets its own parsed copy, which the caller may change.
   */
  readOnly?: boolean;
}

export interface CacheResult<T> {
  entry: CacheEntry<T>;
  outcome: LookupOutcome;
  detail: LookupDetail;
}

/** A key read by `reserve()`, to be filled later with `fill()` (cache-aside, as TypeORM's query cache works). */
export interface CacheSlot<T> {
  /** The key under the generations read then: a write since then orphans what is filled in. */
  key: string | undefined;
  /** A fresh entry, when there is one. */
  entry: CacheEntry<T> | undefined;
}

/**
 * The read-through cache: an in-process tier, then Redis (through cache-manager), then the
 * source. A miss loads once per process (concurrent callers share the promise) and once across
 * instances (a Redis lease; the others wait for its entry); a stale entry is served while one
 * caller refreshes it; TTLs are jittered; "not found" is cached briefly. When Redis is down or
 * slow, or the `cache` switch is off, every lookup goes to the source: the cache never fails
 * a request and never makes one wait longer than `redisTimeoutMs` per Redis call.
 */
@Injectable()
export class CacheService implements OnModuleInit, OnModuleDestroy {
  readonly #settings: CacheSettings;
  readonly #inflight = new Map<string, Promise<CacheResult<unknown>>>();
  readonly #refreshing = new Set<string>();
  /** Stores and refreshes that finish after the caller got its answer; shutdown waits for them. */
  readonly #background = new Set<Promise<void>>();
  /** Tags whose invalidation has not reached Redis yet: this process reads them from the source until it has. */
  readonly #pending = new Set<string>();
  #retryTimer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(CACHE_SETTINGS) settings: CacheSettings,
    @Inject(SHARED_CACHE) private readonly shared: Cache,
    private readonly keys: CacheKeys,
    private readonly local: LocalTier,
    private readonly generations: Generations,
    private readonly leases: Leases,
    private readonly redis: CacheRedis,
    private readonly metrics: CacheMetrics,
    private readonly logger: PinoLogger,
    @Optional() private readonly switches?: SwitchesService,
  ) {
    this.logger.setContext('cache');
    this.#settings = settings;
  }

  /** Off when the `cache` pattern switch is off: every read then goes to the source (the lab's "cache off" run). */
  get enabled(): boolean {
    return this.switches?.isOn('cache') ?? true;
  }

  get settings(): Readonly<CacheSettings> {
    return this.#settings;
  }

  onModuleInit(): void {
    this.redis.onReady(() => void this.#retryPending());
  }

  async onModuleDestroy(): Promise<void> {
    clearTimeout(this.#retryTimer);
    await Promise.allSettled([...this.#background]);
  }

  /** The value, from the cache or loaded; a cached "not found" is thrown again as the loader threw it. */
  async getOrLoad<T>(lookup: CacheLookup<T>): Promise<T> {
    const { entry } = await this.lookup(lookup);
    if (entry.kind === 'not-found') throw notFoundError(entry);
    return entry.value;
  }

  /** Like getOrLoad(), and says where the answer came from (for X-Cache and Age headers). */
  async lookup<T>(lookup: CacheLookup<T>): Promise<CacheResult<T>> {
    const tags = lookup.tags ?? [];
    if (!this.enabled) return this.#bypass(lookup, 'switch_off');
    if (tags.some((tag) => this.#pending.has(tag))) return this.#bypass(lookup, 'pending_invalidation');
    // Known generations (pub/sub flowing) are taken without an await: a hit from the in-process
    // tier then runs to its answer in one go.
    const generations = this.generations.known(tags) ?? (await this.generations.current(tags));
    if (!generations.ok) return this.#bypass(lookup, 'redis_unavailable');
    if (this.#settling(generations.value)) return this.#bypass(lookup, 'settling');
    const key = this.keys.entry(lookup.name, lookup.id, generations.value);

    const local = this.#readLocal<T>(key);
    if (local) return this.#count(lookup, { entry: local, outcome: 'hit', detail: 'local' });
    if (!this.#settings.stampedeGuard) return this.#count(lookup, await this.#unguarded(lookup, key));

    const running = this.#inflight.get(key) as Promise<CacheResult<T>> | undefined;
    if (running) {
      const result = await running;
      // Waiting for another caller's load is coalescing; waiting for its cache read is just a hit.
      const shared = result.outcome === 'miss' || result.outcome === 'coalesced';
      return this.#count(lookup, shared ? { ...result, outcome: 'coalesced', detail: 'process' } : result);
    }
    const resolving = this.#resolve(lookup, key);
    this.#inflight.set(key, resolving);
    try {
      return this.#count(lookup, await resolving);
    } finally {
      this.#inflight.delete(key);
    }
  }

  /**
   * Invalidates tags in every process: the next read of any entry tagged with one of them
   * loads from the source. Never throws: the write it follows has happened. If Redis cannot be
   * reached, this process reads those tags from the source and retries until Redis takes it.
   */
  async invalidate(tags: readonly string[]): Promise<void> {
    const unique = [...new Set(tags)];
    if (unique.length === 0) return;
    unique.forEach(assertValidTag);
    for (const tag of unique) this.#pending.add(tag);
    await this.#bump(unique);
  }

  /** Reads a key without loading (cache-aside): `entry` is set on a fresh hit; `fill()` stores what the caller loaded. */
  async reserve<T>(name: string, id: string, tags: readonly string[] = []): Promise<CacheSlot<T>> {
    const none: CacheSlot<T> = { key: undefined, entry: undefined };
    if (!this.enabled || tags.some((tag) => this.#pending.has(tag))) return none;
    // Known generations (pub/sub flowing) are taken without an await: a hit from the in-process
    // tier then runs to its answer in one go.
    const generations = this.generations.known(tags) ?? (await this.generations.current(tags));
    if (!generations.ok || this.#settling(generations.value)) return none;
    const key = this.keys.entry(name, id, generations.value);
    const entry = this.#readLocal<T>(key) ?? (await this.#readShared<T>(key));
    return { key, entry: entry && isFresh(entry) ? entry : undefined };
  }

  /** Stores what the caller loaded for a slot from reserve(). */
  async fill<T>(slot: CacheSlot<T>, value: T, ttlMs?: number): Promise<void> {
    if (!slot.key) return;
    const now = Date.now();
    await this.#store(slot.key, { kind: 'value', value, storedAt: now, freshUntil: now }, { ttlMs }, false);
  }

  async #resolve<T>(lookup: CacheLookup<T>, key: string): Promise<CacheResult<T>> {
    const shared = await this.#readShared<T>(key);
    if (shared && isFresh(shared)) {
      this.#keepLocal(key, shared, lookup.readOnly);
      return { entry: shared, outcome: 'hit', detail: 'shared' };
    }
    if (shared) {
      this.#refreshInBackground(lookup, key);
      return { entry: shared, outcome: 'stale', detail: 'shared' };
    }
    return this.#fill(lookup, key);
  }

  /** A miss: load under the lease, or wait for the instance that holds it. */
  async #fill<T>(lookup: CacheLookup<T>, key: string): Promise<CacheResult<T>> {
    const deadline = Date.now() + this.#settings.leaseMs;
    let pauseMs = 2;
    for (;;) {
      // One round trip: the lease, then the entry read again (Redis runs a connection's commands
      // in order), since another instance may have filled it since our first read.
      const [lease, filled] = await Promise.all([this.leases.acquire(key), this.#readShared<T>(key)]);
      const token = lease.ok ? lease.value : undefined;
      if (filled && isFresh(filled)) {
        if (token !== undefined) this.#inBackground(this.leases.release(key, token));
        return this.#filledElsewhere(key, filled, lookup.readOnly);
      }
      if (!lease.ok) return this.#loadAndStore(lookup, key);
      if (token !== undefined) {
        let entry: CacheEntry<T>;
        try {
          entry = await this.#load(lookup);
        } catch (error) {
          this.#inBackground(this.leases.release(key, token));
          throw error;
        }
        // The lease is let go once the entry is in Redis, so the instances waiting for it find it there.
        this.#inBackground(this.#store(key, entry, lookup, true).then(() => this.leases.release(key, token)));
        return { entry, outcome: 'miss', detail: '' };
      }
      if (Date.now() >= deadline) {
        this.logger.warn(
          { cache: lookup.name, key },
          `the instance loading this entry did not finish within ${this.#settings.leaseMs} ms: loading it here`,
        );
        return this.#loadAndStore(lookup, key);
      }
      // Another instance holds the lease: its entry should appear shortly.
      await sleep(pauseMs);
      pauseMs = Math.min(pauseMs * 2, 50);
    }
  }

  #filledElsewhere<T>(key: string, entry: CacheEntry<T>, readOnly: boolean | undefined): CacheResult<T> {
    this.#keepLocal(key, entry, readOnly);
    return { entry, outcome: 'coalesced', detail: 'cluster' };
  }

  /** The stock behaviour (TENK_CACHE_STAMPEDE_GUARD=off, for the lab): every caller that misses loads. */
  async #unguarded<T>(lookup: CacheLookup<T>, key: string): Promise<CacheResult<T>> {
    const shared = await this.#readShared<T>(key);
    if (shared && isFresh(shared)) return { entry: shared, outcome: 'hit', detail: 'shared' };
    const entry = await this.#load(lookup);
    await this.#store(key, entry, lookup, false);
    return { entry, outcome: 'miss', detail: '' };
  }

  #refreshInBackground<T>(lookup: CacheLookup<T>, key: string): void {
    if (this.#refreshing.has(key)) return;
    this.#refreshing.add(key);
    const refresh = async () => {
      // The lease and a second read in one round trip: another instance may have refreshed it
      // (and let go of the lease) since we read it stale.
      const [lease, current] = await Promise.all([this.leases.acquire(key), this.#readShared<T>(key)]);
      // No lease: another instance is refreshing it, or Redis is failing; either way, not us.
      if (!lease.ok || lease.value === undefined) return;
      try {
        if (current && isFresh(current)) return;
        const entry = await this.#load(lookup);
        await this.#store(key, entry, lookup, true);
      } finally {
        await this.leases.release(key, lease.value);
      }
    };
    this.#inBackground(
      refresh()
        .catch((error: unknown) =>
          this.logger.warn({ err: error, cache: lookup.name, key }, 'background refresh failed: the stale entry stays until it expires'),
        )
        .finally(() => this.#refreshing.delete(key)),
    );
  }

  /** Loads and answers; the entry goes to Redis after the answer (a slow Redis never delays it). */
  async #loadAndStore<T>(lookup: CacheLookup<T>, key: string): Promise<CacheResult<T>> {
    const entry = await this.#load(lookup);
    this.#inBackground(this.#store(key, entry, lookup, true));
    return { entry, outcome: 'miss', detail: '' };
  }

  #inBackground(task: Promise<unknown>): void {
    const tracked = task.then(
      () => undefined,
      (error: unknown) => this.logger.warn({ err: error }, 'cache background task failed'),
    );
    this.#background.add(tracked);
    void tracked.finally(() => this.#background.delete(tracked));
  }

  async #bypass<T>(lookup: CacheLookup<T>, detail: LookupDetail): Promise<CacheResult<T>> {
    const entry = await this.#load(lookup);
    return this.#count(lookup, { entry, outcome: 'bypass', detail });
  }

  /** Runs the loader; a "not found" becomes an entry (cached briefly), any other error is thrown and nothing is cached. */
  async #load<T>(lookup: CacheLookup<T>): Promise<CacheEntry<T>> {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const value = await lookup.load();
      this.metrics.load(lookup.name, 'ok', seconds());
      return { kind: 'value', value, storedAt: Date.now(), freshUntil: Date.now() };
    } catch (error) {
      const notFound = (lookup.notFound ?? defaultNotFound)(error);
      this.metrics.load(lookup.name, notFound ? 'not_found' : 'error', seconds());
      if (!notFound) throw error;
      return { kind: 'not-found', ...notFound, storedAt: Date.now(), freshUntil: Date.now() };
    }
  }

  async #store<T>(
    key: string,
    entry: CacheEntry<T>,
    { ttlMs, readOnly }: Pick<CacheLookup<T>, 'ttlMs' | 'readOnly'>,
    guarded: boolean,
  ): Promise<void> {
    const settings = this.#settings;
    const now = Date.now();
    const baseTtl = entry.kind === 'value' ? (ttlMs ?? settings.ttlMs) : Math.min(settings.notFoundTtlMs, ttlMs ?? settings.notFoundTtlMs);
    const freshMs = guarded ? withJitter(baseTtl, settings.jitterPercent) : baseTtl;
    const staleMs = guarded ? settings.staleMs : 0;
    entry.storedAt = now;
    entry.freshUntil = now + freshMs;
    this.#keepLocal(key, entry, readOnly);
    await this.shared.set(key, entry, freshMs + staleMs);
  }

  async #readShared<T>(key: string): Promise<CacheEntry<T> | undefined> {
    return asCacheEntry<T>(await this.shared.get(key));
  }

  #readLocal<T>(key: string): CacheEntry<T> | undefined {
    if (!this.local.enabled) return undefined;
    const kept = this.local.get(key);
    if (kept === undefined) return undefined;
    // A string is a copy to parse; an object is a read-only lookup's frozen entry, shared as it is.
    const entry = typeof kept === 'string' ? asCacheEntry<T>(JSON.parse(kept)) : (kept as CacheEntry<T>);
    return entry && isFresh(entry) ? entry : undefined;
  }

  #keepLocal(key: string, entry: CacheEntry<unknown>, readOnly: boolean | undefined): void {
    const ttlMs = entry.freshUntil - Date.now();
    if (this.local.enabled && ttlMs > 0) this.local.set(key, readOnly ? frozenEntry(entry) : JSON.stringify(entry), ttlMs);
  }

  /**
   * Just after an invalidation a load may read a replica that has not replayed the write yet,
   * and a shared entry would spread that to everyone: for `settleMs`, each caller reads for
   * itself, through its own read-your-writes routing, as if there were no cache.
   */
  #settling(generations: readonly number[]): boolean {
    return Date.now() - lastInvalidationMs(generations) < this.#settings.settleMs;
  }

  #count<T>(lookup: CacheLookup<T>, result: CacheResult<T>): CacheResult<T> {
    this.metrics.lookup(lookup.name, result.outcome, result.detail);
    return result;
  }

  async #bump(tags: string[]): Promise<boolean> {
    const bumped = await this.generations.bump(tags);
    if (bumped.ok) {
      for (const tag of tags) this.#pending.delete(tag);
      this.metrics.invalidation('ok', tags.length);
      return true;
    }
    this.metrics.invalidation('failed', tags.length);
    this.logger.warn(
      { tags, reason: bumped.reason },
      'cache invalidation could not reach Redis: this process reads these tags from the database, retrying until Redis takes it',
    );
    this.#scheduleRetry();
    return false;
  }

  #scheduleRetry(): void {
    if (this.#retryTimer) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#retryPending();
    }, this.#settings.breakerOpenMs);
    this.#retryTimer.unref();
  }

  async #retryPending(): Promise<void> {
    if (this.#pending.size === 0) return;
    if (await this.#bump([...this.#pending])) this.logger.info('pending cache invalidations reached Redis');
  }
}

import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { QueryResultCache } from 'typeorm/cache/QueryResultCache';
import type { QueryResultCacheOptions } from 'typeorm/cache/QueryResultCacheOptions';
import type { CacheService, CacheSlot } from '../cache.service';

/** Every query cache entry carries this tag: clear() invalidates it. */
export const QUERY_CACHE_TAG = 'sql';
const NAME = 'sql';
/** Queries between their cache read and their store, at most (a query that failed never stores). */
const MAX_OPEN_SLOTS = 10_000;

export interface QueryCacheOptions {
  /** Tags on every query of this DataSource, e.g. ['catalog']: invalidating one drops them all. */
  tags?: readonly string[];
  /** TTL of `.cache(true)`; TENK_CACHE_QUERY_TTL when left out. */
  defaultTtlMs?: number;
}

/**
 * TypeORM's query result cache (`.cache(...)` on a query builder or find) on the cache Redis,
 * through CacheService, instead of TypeORM's own Redis cache, which keys by raw SQL in the
 * root namespace, throws when Redis is down and wipes the whole Redis on clear() (FLUSHDB).
 * Here keys are namespaced and hashed, an identifier (`.cache('products', 30_000)`) is a tag,
 * so `remove(['products'])` invalidates every query that named it in every process, clear()
 * invalidates this cache only, and a dead Redis reads as a miss.
 */
export class RedisQueryResultCache implements QueryResultCache {
  readonly #cache: CacheService;
  readonly #tags: readonly string[];
  /** Generations read by getFromCache, by query, so the store uses them: a write in between orphans the result. */
  readonly #slots = new Map<string, CacheSlot<QueryResultCacheOptions>>();

  constructor(cache: CacheService, options: QueryCacheOptions = {}) {
    this.#cache = cache;
    this.#tags = [QUERY_CACHE_TAG, ...(options.tags ?? [])];
  }

  async connect(): Promise<void> {
    return undefined;
  }

  async disconnect(): Promise<void> {
    this.#slots.clear();
  }

  async synchronize(): Promise<void> {
    return undefined;
  }

  async getFromCache(options: QueryResultCacheOptions): Promise<QueryResultCacheOptions | undefined> {
    const slot = await this.#cache.reserve<QueryResultCacheOptions>(NAME, idOf(options), this.#tagsOf(options));
    if (slot.entry?.kind === 'value') return slot.entry.value;
    if (slot.key) {
      if (this.#slots.size >= MAX_OPEN_SLOTS) this.#slots.clear();
      this.#slots.set(slotKey(options), slot);
    }
    return undefined;
  }

  async storeInCache(options: QueryResultCacheOptions): Promise<void> {
    const key = slotKey(options);
    const slot = this.#slots.get(key);
    if (!slot) return;
    this.#slots.delete(key);
    await this.#cache.fill(slot, { ...options, query: undefined }, options.duration);
  }

  isExpired(saved: QueryResultCacheOptions): boolean {
    return (saved.time ?? 0) + saved.duration < Date.now();
  }

  /** Invalidates this cache only (TypeORM's own Redis cache runs FLUSHDB here). */
  async clear(): Promise<void> {
    await this.#cache.invalidate([QUERY_CACHE_TAG]);
  }

  /** Invalidates every query cached under these identifiers, in every process. */
  async remove(identifiers: string[]): Promise<void> {
    await this.#cache.invalidate(identifiers.map(identifierTag));
  }

  #tagsOf(options: QueryResultCacheOptions): string[] {
    return options.identifier ? [...this.#tags, identifierTag(options.identifier)] : [...this.#tags];
  }
}

/**
 * Installs the query cache on a DataSource (before or after initialize()): queries with
 * `.cache(...)` then use it. Errors of the cache never fail a query (ignoreErrors).
 */
export function useQueryResultCache(dataSource: DataSource, cache: CacheService, options: QueryCacheOptions = {}): RedisQueryResultCache {
  const queryCache = new RedisQueryResultCache(cache, options);
  dataSource.setOptions({
    cache: { provider: () => queryCache, ignoreErrors: true, duration: options.defaultTtlMs ?? cache.settings.queryTtlMs },
  });
  return queryCache;
}

/**
 * TypeORM derives ids for the parts of one call (`x-count` for getManyAndCount's count,
 * `x-pagination` for its id query): they all answer to the identifier the code gave.
 */
function identifierTag(identifier: string): string {
  return `sql:${identifier.replace(/-(count|pagination)$/, '')}`;
}

/** The SQL and parameters decide the entry; the identifier only tags it. */
function idOf(options: QueryResultCacheOptions): string {
  return `#${createHash('sha1')
    .update(options.query ?? '')
    .update('\0')
    .update(options.identifier ?? '')
    .digest('base64url')}`;
}

function slotKey(options: QueryResultCacheOptions): string {
  return `${options.identifier ?? ''}\0${options.query ?? ''}`;
}

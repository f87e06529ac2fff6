import type { CacheEntry } from './cache-entry';

/**
 * What the tier keeps for a key: the entry as Redis holds it (JSON), from which each hit parses
 * its own copy so a caller cannot change what others get; or, for a read-only lookup (see
 * CacheLookup.readOnly), the frozen entry itself, handed out as it is, with no parse.
 */
export type LocalValue = string | Readonly<CacheEntry<unknown>>;

interface LocalItem {
  value: LocalValue;
  expiresAt: number;
}

/**
 * The small in-process first tier: a least-recently-used map of entries with a short TTL. It
 * needs no invalidation of its own: keys carry their tags' generations, and the generations are
 * kept current through Redis pub/sub (see Generations). When that link drops, the whole tier is
 * cleared.
 */
export class LocalTier {
  readonly #items = new Map<string, LocalItem>();
  readonly #maxEntries: number;
  readonly #maxTtlMs: number;

  constructor(maxEntries: number, maxTtlMs: number) {
    this.#maxEntries = maxEntries;
    this.#maxTtlMs = maxTtlMs;
  }

  get enabled(): boolean {
    return this.#maxEntries > 0 && this.#maxTtlMs > 0;
  }

  get size(): number {
    return this.#items.size;
  }

  get(key: string, now = Date.now()): LocalValue | undefined {
    const item = this.#items.get(key);
    if (!item) return undefined;
    this.#items.delete(key);
    if (item.expiresAt <= now) return undefined;
    // Re-inserted last: a Map iterates in insertion order, so the first key is the least recently used.
    this.#items.set(key, item);
    return item.value;
  }

  /** Keeps `value` for `ttlMs`, at most the tier's own TTL. */
  set(key: string, value: LocalValue, ttlMs: number, now = Date.now()): void {
    if (!this.enabled || ttlMs <= 0) return;
    this.#items.delete(key);
    this.#items.set(key, { value, expiresAt: now + Math.min(ttlMs, this.#maxTtlMs) });
    while (this.#items.size > this.#maxEntries) {
      const oldest = this.#items.keys().next().value as string;
      this.#items.delete(oldest);
    }
  }

  clear(): void {
    this.#items.clear();
  }
}

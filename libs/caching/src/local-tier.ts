interface LocalItem {
  /** The entry as Redis holds it (JSON): each hit parses its own copy, so a caller cannot change what others get. */
  json: string;
  expiresAt: number;
}

/**
 * The small in-process first tier: a least-recently-used map of serialized entries with a
 * short TTL. It needs no invalidation of its own: keys carry their tags' generations, and the
 * generations are kept current through Redis pub/sub (see Generations). When that link
 * drops, the whole tier is cleared.
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

  get(key: string, now = Date.now()): string | undefined {
    const item = this.#items.get(key);
    if (!item) return undefined;
    this.#items.delete(key);
    if (item.expiresAt <= now) return undefined;
    // Re-inserted last: a Map iterates in insertion order, so the first key is the least recently used.
    this.#items.set(key, item);
    return item.json;
  }

  /** Keeps `json` for `ttlMs`, at most the tier's own TTL. */
  set(key: string, json: string, ttlMs: number, now = Date.now()): void {
    if (!this.enabled || ttlMs <= 0) return;
    this.#items.delete(key);
    this.#items.set(key, { json, expiresAt: now + Math.min(ttlMs, this.#maxTtlMs) });
    while (this.#items.size > this.#maxEntries) {
      const oldest = this.#items.keys().next().value as string;
      this.#items.delete(oldest);
    }
  }

  clear(): void {
    this.#items.clear();
  }
}

import { HttpException } from '@nestjs/common';

/**
 * What the cache stores for one key: a value, or the fact that the thing does not exist (so a
 * flood of requests for a missing id stays off the database too). `freshUntil` is when it goes
 * stale; Redis keeps it a while longer (the stale window) so one caller can refresh it while
 * the others are still answered.
 */
export type CacheEntry<T> =
  | { kind: 'value'; value: T; storedAt: number; freshUntil: number }
  | { kind: 'not-found'; status: number; response: string | object; storedAt: number; freshUntil: number };

export type NotFoundAnswer = { status: number; response: string | object };

export function isFresh(entry: CacheEntry<unknown>, now = Date.now()): boolean {
  return entry.freshUntil > now;
}

/** The exception a cached "not found" stands for, as the loader threw it. */
export function notFoundError(entry: Extract<CacheEntry<unknown>, { kind: 'not-found' }>): HttpException {
  return new HttpException(entry.response, entry.status);
}

/** By default a 404 HttpException (Nest's NotFoundException) is a cacheable "not found". */
export function defaultNotFound(error: unknown): NotFoundAnswer | undefined {
  if (error instanceof HttpException && error.getStatus() === 404) return { status: 404, response: error.getResponse() };
  return undefined;
}

/** Spreads a TTL by up to `percent` either way, so entries written in one burst do not all expire in the same instant. */
export function withJitter(ttlMs: number, percent: number, random: () => number = Math.random): number {
  if (percent <= 0) return ttlMs;
  const spread = (ttlMs * percent) / 100;
  return Math.max(1, Math.round(ttlMs - spread + random() * 2 * spread));
}

/** Narrows a value read back from Redis, so a foreign or corrupt key reads as a miss rather than crashing a request. */
export function asCacheEntry<T>(raw: unknown): CacheEntry<T> | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const entry = raw as Partial<CacheEntry<T>>;
  if ((entry.kind !== 'value' && entry.kind !== 'not-found') || typeof entry.freshUntil !== 'number' || typeof entry.storedAt !== 'number')
    return undefined;
  return entry as CacheEntry<T>;
}

/**
 * Freezes an entry and everything in it (plain objects and arrays), so one object can be handed
 * to every reader of the in-process tier: a reader that tried to change it would get a
 * TypeError instead of changing what the others are served.
 */
export function frozenEntry<T>(entry: CacheEntry<T>): Readonly<CacheEntry<T>> {
  return deepFreeze(entry);
}

function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const inner of Object.values(value)) deepFreeze(inner);
  return value;
}

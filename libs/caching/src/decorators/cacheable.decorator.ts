import { SetMetadata } from '@nestjs/common';
import type { NotFoundAnswer } from '../cache-entry';

export const CACHEABLE = 'tenk:caching:cacheable';

export interface CacheableOptions<A extends unknown[]> {
  /** The id of the entry from the arguments; default: the argument itself when there is one plain one, else all of them. */
  key?: (...args: A) => string | number;
  /** Tags to invalidate it by, e.g. `(id) => [\`product:${id}\`]`. */
  tags?: readonly string[] | ((...args: A) => readonly string[]);
  /** Fresh for this long (ms); default TENK_CACHE_TTL. */
  ttl?: number;
  /** Which errors mean "does not exist" and are cached briefly; default: a 404 HttpException. */
  notFound?: (error: unknown) => NotFoundAnswer | undefined;
}

/**
 * Caches what an async provider method returns, by its arguments (read-through, with all of
 * CacheService's guarantees). The method must return plain JSON data: hits are parsed copies.
 *
 *   @Cacheable({ key: (id: string) => id, tags: (id: string) => [`product:${id}`] })
 *   async get(id: string): Promise<ProductView> { ... }
 */
export const Cacheable = <A extends unknown[]>(options: CacheableOptions<A> = {}): MethodDecorator => SetMetadata(CACHEABLE, options);

export const HTTP_CACHE = 'tenk:caching:http';

/** Who an HTTP cache entry is for. */
export type HttpCacheScope = 'shared' | 'user';

export interface HttpCacheOptions {
  /** Fresh on the server for this long (ms); default TENK_CACHE_TTL. */
  ttl?: number;
  /** Tags to invalidate it by; `{name}` is replaced by the route parameter: `['catalog']`, `['product:{id}']`. */
  tags?: readonly string[];
  /**
   * `shared`: one entry for every caller (public data). `user`: one entry per signed-in user,
   * sent as private. `auto` (default): shared on @Public() routes, per user on all others, so a
   * response that needed a session is never stored under a key another user reads.
   */
  scope?: 'auto' | HttpCacheScope;
  /** Cache-Control max-age for browsers and CDNs, in seconds; default 0 (they revalidate with the ETag, and get a 304). */
  maxAge?: number;
  /** Response headers the handler sets that are stored with the entry and sent again on hits (lower case). */
  headers?: readonly string[];
}

/** What the HTTP cache stores for a response: status, the body as sent, chosen headers and its ETag. */
export interface CachedResponse {
  status: number;
  /** `json`: the body is JSON text, sent as it is (no parse, no stringify on a hit). */
  type: 'json' | 'text';
  body: string;
  headers: Record<string, string>;
  etag: string;
}

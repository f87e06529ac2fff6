import { createHash } from 'node:crypto';

const TAG = /^[A-Za-z0-9:_.\-/]{1,200}$/;
const READABLE_ID = /^[A-Za-z0-9:_.,=&/?|%+-]{0,100}$/;

/**
 * Every Redis key and channel of the cache, in one place. All start with
 * `<namespace>:v<version>:`, so one Redis serves several shops (or tests), and bumping the
 * version orphans every entry of an older value shape at once:
 *
 *   tenk:v1:e:CatalogService.get:42@lx0k9f2a     an entry (name, id, generations of its tags)
 *   tenk:v1:g:product:42                         a tag's generation (ms timestamp of its last invalidation)
 *   tenk:v1:l:CatalogService.get:42@lx0k9f2a     the lease held while one instance loads that entry
 *   tenk:v1:invalidations                        pub/sub: generations just bumped
 */
export class CacheKeys {
  readonly prefix: string;

  constructor(namespace: string, version: number) {
    this.prefix = `${namespace}:v${version}:`;
  }

  /** The entry for `id` of `name`, for the current generations of its tags (none: no suffix). */
  entry(name: string, id: string, generations: readonly number[]): string {
    const suffix = generations.length === 0 ? '' : `@${generations.map((generation) => generation.toString(36)).join('.')}`;
    return `${this.prefix}e:${name}:${id}${suffix}`;
  }

  lease(entryKey: string): string {
    return `${this.prefix}l:${entryKey.slice(this.prefix.length + 2)}`;
  }

  generation(tag: string): string {
    return `${this.prefix}g:${tag}`;
  }

  get channel(): string {
    return `${this.prefix}invalidations`;
  }
}

/** Whether `tag` can be a tag: 1-200 characters a key may carry. */
export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

/** Throws when a tag has characters a key should not carry: tags are written by code, never by users. */
export function assertValidTag(tag: string): void {
  if (!isValidTag(tag)) throw new Error(`cache tag "${tag}" is not valid: use 1-200 characters of A-Z a-z 0-9 : _ . - /`);
}

/**
 * The id part of a key from any JSON-like value: readable when short and plain (`42`,
 * `?page=2&sort=name`), otherwise a hash (`#` + SHA-1), so a key never grows with its input.
 */
export function cacheId(value: unknown): string {
  const text = typeof value === 'string' ? value : stableStringify(value);
  if (READABLE_ID.test(text)) return text;
  return `#${createHash('sha1').update(text).digest('base64url')}`;
}

/** JSON with object keys sorted, so `{a, b}` and `{b, a}` name the same entry. */
export function stableStringify(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${stableStringify(item)}`).join(',')}}`;
}

import { ObjectKeyError } from './errors';

const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;
const MAX_KEY_LENGTH = 512;

/**
 * Checks a storage key: `/`-separated segments of letters, digits, `.`, `_` and `-`, none
 * starting with a dot (so no `..`, no hidden files), no leading or trailing slash. Keys are
 * built by tenk's code; this is the last line that keeps a bug from escaping the store's root.
 */
export function assertObjectKey(key: string): string {
  if (key.length === 0 || key.length > MAX_KEY_LENGTH) throw new ObjectKeyError(key, `must be 1 to ${MAX_KEY_LENGTH} characters`);
  for (const segment of key.split('/')) {
    if (!SEGMENT.test(segment)) throw new ObjectKeyError(key, 'segments are letters, digits, ".", "_" and "-", and do not start with "."');
  }
  return key;
}

/** Joins segments into a key, checking the result. */
export function objectKey(...segments: string[]): string {
  return assertObjectKey(segments.join('/'));
}

const CONTENT_TYPES: Record<string, string> = {
  '.mp4': 'video/mp4',
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.ts': 'video/mp2t',
  '.jpg': 'image/jpeg',
  '.csv': 'text/csv; charset=utf-8',
  '.json': 'application/json',
};

/** The Content-Type to serve an object with, from its key's extension. */
export function contentTypeOf(key: string): string {
  const dot = key.lastIndexOf('.');
  const slash = key.lastIndexOf('/');
  if (dot <= slash) return 'application/octet-stream';
  return CONTENT_TYPES[key.slice(dot).toLowerCase()] ?? 'application/octet-stream';
}

import type { ByteRange } from './object-store';

/** What a Range header asks of an object of a known size (RFC 9110, section 14). */
export type RangeRequest =
  /** No Range header, or one we answer with the whole object (several ranges, other units). */
  | { kind: 'full' }
  | { kind: 'partial'; range: ByteRange }
  /** A range that starts past the end: 416 with `Content-Range: bytes * /size`. */
  | { kind: 'unsatisfiable' };

/**
 * Parses `Range: bytes=0-499`, `bytes=500-`, `bytes=-500` (the last 500 bytes) against `size`.
 * Multi-range requests are answered with the whole object, as the RFC allows: browsers seeking
 * in a video only ever ask for one range.
 */
export function parseRange(header: string | undefined, size: number): RangeRequest {
  if (!header) return { kind: 'full' };
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match) return { kind: 'full' };
  const [, first, last] = match;
  if (first === '' && last === '') return { kind: 'full' };
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', range: { start: Math.max(0, size - suffix), end: size - 1 } };
  }
  const start = Number(first);
  if (start >= size) return { kind: 'unsatisfiable' };
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (end < start) return { kind: 'full' };
  return { kind: 'partial', range: { start, end } };
}

import { randomBytes } from 'node:crypto';

/** Crockford base32: no I, L, O, U, so ids read aloud and typed by hand survive. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const ORDER_ID = /^ord_([0-9a-f]{3})_([0-9A-HJKMNP-TV-Z]{26})$/;

/** Enough for the bucket in three hex digits. */
export const MAX_BUCKETS = 0x1000;

/**
 * A new order id, `ord_<bucket>_<ulid>`, e.g. `ord_0a7_01JDQ4Z5W8M2N6P3R7T9V0X1YB`: the bucket
 * (3 hex digits) makes `ShardRouter.forOrder(id)` a computation instead of a lookup; the ULID
 * (48-bit time + 80 random bits) makes ids unique without coordination and roughly time-ordered.
 */
export function newOrderId(bucket: number, now = Date.now()): string {
  if (!Number.isInteger(bucket) || bucket < 0 || bucket >= MAX_BUCKETS)
    throw new RangeError(`bucket ${bucket} does not fit an order id (0..${MAX_BUCKETS - 1})`);
  return `ord_${bucket.toString(16).padStart(3, '0')}_${ulid(now)}`;
}

/** The bucket an order id carries, or undefined when `id` is not an order id. */
export function bucketOfOrderId(id: string): number | undefined {
  const match = ORDER_ID.exec(id);
  return match ? parseInt(match[1], 16) : undefined;
}

export function isOrderId(id: string): boolean {
  return ORDER_ID.test(id);
}

function ulid(now: number): string {
  let time = '';
  let rest = Math.floor(now);
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[rest % 32] + time;
    rest = Math.floor(rest / 32);
  }
  const random = randomBytes(16);
  let tail = '';
  for (let i = 0; i < 16; i++) tail += ALPHABET[random[i] % 32];
  return time + tail;
}

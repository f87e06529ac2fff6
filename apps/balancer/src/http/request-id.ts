import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 8192;
const ID_BYTES = 16;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let offset = POOL_BYTES;

/**
 * A new request id: 32 random hex characters, as nginx's $request_id. Random bytes come from
 * a pool refilled 512 ids at a time, so an id costs one hex encoding, not a system call.
 */
export function newRequestId(): string {
  if (offset === POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const id = pool.toString('hex', offset, offset + ID_BYTES);
  offset += ID_BYTES;
  return id;
}

const VALID_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * An incoming X-Request-Id is kept when it looks like an id (so a trace started in front of
 * tenk continues through it); anything else (too long, odd characters that could forge log
 * lines) is replaced.
 */
export function isUsableRequestId(value: string): boolean {
  return VALID_ID.test(value);
}

import { randomFillSync } from 'node:crypto';

/** What a W3C `traceparent` says about the caller's span. */
export interface RemoteParent {
  traceId: string;
  spanId: string;
  sampled: boolean;
}

/** version-traceid-spanid-flags, lower-case hex; a later version may add `-...` after the flags. */
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}(?:-|$)/;
const INVALID_TRACE_ID = '00000000000000000000000000000000';
const INVALID_SPAN_ID = '0000000000000000';

/**
 * Reads a `traceparent` (`00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`) by position, as
 * W3C Trace Context level 1 lays it out: a higher version may add fields after the flags;
 * version ff and the all-zero ids are invalid. Anything else is no parent (the request starts
 * a trace).
 */
export function parseTraceparent(value: string | undefined): RemoteParent | undefined {
  if (value === undefined || value.length < 55 || !TRACEPARENT.test(value)) return undefined;
  if (value.startsWith('ff') || (value.startsWith('00') && value.length !== 55)) return undefined;
  const traceId = value.slice(3, 35);
  const spanId = value.slice(36, 52);
  if (traceId === INVALID_TRACE_ID || spanId === INVALID_SPAN_ID) return undefined;
  return { traceId, spanId, sampled: (parseInt(value.slice(53, 55), 16) & 1) === 1 };
}

/** The `traceparent` naming a span of this process (version 00, no tracestate). */
export function formatTraceparent(traceId: string, spanId: string, sampled: boolean): string {
  return `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`;
}

/**
 * Random bytes for ids, drawn from a pool filled 4 KiB at a time (as crypto.randomUUID does):
 * an unsampled request needs a span id (and a trace id when it starts the trace) without a
 * system call or the SDK's id generator each time.
 */
const POOL = Buffer.alloc(4_096);
let offset = POOL.length;

function randomHex(bytes: number): string {
  for (;;) {
    if (offset + bytes > POOL.length) {
      randomFillSync(POOL);
      offset = 0;
    }
    const hex = POOL.toString('hex', offset, offset + bytes);
    offset += bytes;
    // All zeros is the invalid id: draw again (one chance in 2^64 or 2^128).
    if (hex !== INVALID_SPAN_ID && hex !== INVALID_TRACE_ID) return hex;
  }
}

export function newTraceId(): string {
  return randomHex(16);
}

export function newSpanId(): string {
  return randomHex(8);
}

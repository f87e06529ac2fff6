import type { BreakerState } from './breaker/breaker-state';

/**
 * A call was refused without reaching the downstream: its breaker is open (or half-open with
 * every probe slot taken). Fail fast and tell the client when to come back.
 */
export class CircuitOpenError extends Error {
  override readonly name = 'CircuitOpenError';
  readonly isCircuitOpenError = true;

  constructor(
    /** The breaker's key, e.g. `payments` or `shard:shard_2`. */
    readonly breaker: string,
    readonly state: Exclude<BreakerState, 'closed'>,
    /** How long until the breaker lets probe calls through again. */
    readonly retryAfterMs: number,
  ) {
    super(`circuit breaker ${breaker} is ${state}: the call was not attempted; retry in ${Math.ceil(retryAfterMs / 1000)} s`);
  }
}

/** One try took longer than its policy's timeout and was abandoned (its signal aborted). */
export class CallTimeoutError extends Error {
  override readonly name = 'CallTimeoutError';
  readonly isCallTimeoutError = true;

  constructor(
    readonly policy: string,
    readonly timeoutMs: number,
  ) {
    super(`${policy}: no answer within ${timeoutMs} ms; the call was abandoned`);
  }
}

/** Every slot of the bulkhead (and its queue) was taken: the call was refused at once. */
export class BulkheadFullError extends Error {
  override readonly name = 'BulkheadFullError';
  readonly isBulkheadFullError = true;

  constructor(
    readonly policy: string,
    readonly limit: number,
    readonly queue: number,
  ) {
    super(`${policy}: ${limit} calls already running and ${queue} waiting; the call was refused`);
  }
}

export const isCircuitOpenError = (error: unknown): error is CircuitOpenError => error instanceof CircuitOpenError;
export const isCallTimeoutError = (error: unknown): error is CallTimeoutError => error instanceof CallTimeoutError;
export const isBulkheadFullError = (error: unknown): error is BulkheadFullError => error instanceof BulkheadFullError;

/** Refused by a resilience policy itself (open breaker, full bulkhead): never retried. */
export const isRejection = (error: unknown): error is CircuitOpenError | BulkheadFullError =>
  isCircuitOpenError(error) || isBulkheadFullError(error);

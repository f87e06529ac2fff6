const PERMANENT_JOB_ERROR = Symbol.for('tenk.PermanentJobError');
const QUEUE_UNAVAILABLE = Symbol.for('tenk.QueueUnavailableError');

/**
 * A job that can never succeed however often it runs (its payload breaks the contract, the
 * thing it works on is gone): it goes to the dead-letter queue at once, without retries.
 */
export class PermanentJobError extends Error {
  readonly [PERMANENT_JOB_ERROR] = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentJobError';
  }
}

export function isPermanentJobError(error: unknown): error is PermanentJobError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[PERMANENT_JOB_ERROR] === true;
}

/** The queue Redis did not take a job in time: the caller answers 503 and the client retries. */
export class QueueUnavailableError extends Error {
  readonly [QUEUE_UNAVAILABLE] = true;

  constructor(
    readonly queue: string,
    cause: unknown,
  ) {
    super(`the ${queue} queue is unavailable (${cause instanceof Error ? cause.message : String(cause)})`, { cause });
    this.name = 'QueueUnavailableError';
  }
}

export function isQueueUnavailableError(error: unknown): error is QueueUnavailableError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[QUEUE_UNAVAILABLE] === true;
}

/**
 * The payment provider cannot be used right now: it failed (5xx, refused connection), did not
 * answer in time, or its circuit breaker is open. Nothing was charged that the caller must undo
 * beyond what it already knows about; retry later with the same idempotency key.
 */
export class PaymentUnavailableError extends Error {
  override readonly name = 'PaymentUnavailableError';

  constructor(
    message: string,
    /** When a retry has a chance: the breaker's remaining open time, or a short default. */
    readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isPaymentUnavailableError(error: unknown): error is PaymentUnavailableError {
  return error instanceof PaymentUnavailableError;
}

/**
 * The provider refused the request itself (4xx: invalid body, an idempotency key reused with
 * another request, an unknown or already-voided authorization). Retrying the same request will
 * not help; it is a bug or a conflict for the caller to handle. It never trips a breaker.
 */
export class PaymentRequestError extends Error {
  override readonly name = 'PaymentRequestError';

  constructor(
    message: string,
    /** The provider's HTTP status (400, 404, 409, 422). */
    readonly status: number,
  ) {
    super(message);
  }
}

export function isPaymentRequestError(error: unknown): error is PaymentRequestError {
  return error instanceof PaymentRequestError;
}

/** The provider answered with a server error (5xx, 408, 429): its failure, counted by the breaker. */
export class PaymentProviderError extends Error {
  override readonly name = 'PaymentProviderError';

  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

import { addLayer, type FromArgs } from './resilience-metadata';

/**
 * Retrying is safe only when running the work twice does no harm: say which.
 * - `{ idempotent: true }`: a read, or a write that is idempotent by nature (PUT, upsert).
 * - `{ idempotencyKey: (request) => request.idempotencyKey }`: every try carries the same key,
 *   and the downstream answers a repeat with the first result; a call without a key throws.
 */
export type RetryOptions = { idempotent: true } | { idempotencyKey: FromArgs<string | undefined> };

/**
 * Retries the policy's number of times, with exponential backoff and jitter. Refusals (open
 * breaker, full bulkhead) and the caller's own errors are never retried.
 *   @Retry('payments', { idempotencyKey: (request: AuthorizeRequest) => request.idempotencyKey })
 */
export const Retry = (policy: string, options: RetryOptions): MethodDecorator =>
  addLayer(policy, 'retry', 'idempotencyKey' in options ? { idempotencyKey: options.idempotencyKey } : { idempotent: options.idempotent });

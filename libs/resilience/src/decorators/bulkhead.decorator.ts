import { addLayer, type FromArgs } from './resilience-metadata';

/**
 * At most the policy's `limit` calls at once (and `queue` waiting); beyond that BulkheadFullError
 * at once, so one slow downstream cannot take every socket and every request of the process.
 *   @Bulkhead('payments')
 */
export const Bulkhead = (policy: string, options: { key?: FromArgs<string> } = {}): MethodDecorator =>
  addLayer(policy, 'bulkhead', options);

import { addLayer } from './resilience-metadata';

/**
 * Abandons each try after the policy's timeout with CallTimeoutError, and aborts
 * `currentCallSignal()` so the method's own I/O is cancelled too.
 *   @Timeout('payments')
 */
export const Timeout = (policy: string): MethodDecorator => addLayer(policy, 'timeout');

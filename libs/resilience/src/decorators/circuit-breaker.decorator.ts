import { addLayer, type FromArgs } from './resilience-metadata';

export interface CircuitBreakerOptions {
  /** One breaker per key: `(shard: string) => \`shard:${shard}\``. Default: the policy name. */
  key?: FromArgs<string>;
  /** False for errors that are the caller's, not the downstream's (a 4xx): they never trip it. */
  isFailure?: (error: unknown) => boolean;
  /** A method of the same provider, called with (error, ...args) when the call fails or is refused. */
  fallback?: string;
}

/**
 * Guards the method with the policy's circuit breaker (closed -> open -> half-open): once the
 * downstream fails or slows past the thresholds, calls fail at once with CircuitOpenError.
 *   @CircuitBreaker('payments')
 */
export const CircuitBreaker = (policy: string, options: CircuitBreakerOptions = {}): MethodDecorator =>
  addLayer(policy, 'breaker', options);

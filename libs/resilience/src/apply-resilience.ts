import { readResilienceMetadata, type ResilienceMetadata } from './decorators/resilience-metadata';
import type { ResilienceService } from './resilience.service';

type Method = (...args: unknown[]) => unknown;

/**
 * Replaces each decorated method of `instance` with one that runs through its policies. The
 * ResilienceModule does this for every Nest provider at start-up (a factory provider's object
 * too, e.g. the api's OUTBOX_PUBLISHER); call it yourself for an object made outside Nest's
 * container.
 * Returns the names of the methods it wrapped.
 */
export function applyResilience(instance: object, resilience: ResilienceService): string[] {
  const wrapped: string[] = [];
  for (const name of methodNames(instance)) {
    const method = (instance as Record<string, unknown>)[name];
    const metadata = readResilienceMetadata(method);
    if (!metadata || Object.prototype.hasOwnProperty.call(instance, name)) continue;
    Object.defineProperty(instance, name, {
      value: wrap(instance, name, method as Method, metadata, resilience),
      configurable: true,
      writable: true,
    });
    wrapped.push(name);
  }
  return wrapped;
}

function wrap(instance: object, name: string, original: Method, metadata: ResilienceMetadata, resilience: ResilienceService): Method {
  const where = `${instance.constructor.name}.${name}`;
  const { policy, key, idempotencyKey, isFailure, layers } = metadata;
  const fallback = metadata.fallback === undefined ? undefined : (instance as Record<string, unknown>)[metadata.fallback];
  if (metadata.fallback !== undefined && typeof fallback !== 'function') {
    throw new TypeError(`${where}: its fallback '${metadata.fallback}' is not a method of ${instance.constructor.name}`);
  }
  const options = { layers, idempotent: metadata.idempotent === true || idempotencyKey !== undefined, isFailure };
  // A breaker with a fixed key exists from the start, so metrics and readiness list it before its
  // first call (unless the policy's config leaves the breaker out).
  if (layers.includes('breaker') && !key && resilience.allows(policy, 'breaker')) resilience.breaker(policy);
  return function resilient(...args: unknown[]): Promise<unknown> {
    const callKey = key ? (key as (...a: unknown[]) => string)(...args) : policy;
    if (callKey !== policy && !callKey.startsWith(`${policy}:`)) {
      return Promise.reject(new TypeError(`${where}: key "${callKey}" must be "${policy}" or start with "${policy}:"`));
    }
    if (idempotencyKey) {
      const value = (idempotencyKey as (...a: unknown[]) => string | undefined)(...args);
      if (typeof value !== 'string' || value.length === 0) {
        return Promise.reject(
          new TypeError(`${where}: @Retry('${policy}') needs an idempotency key to retry safely, and this call has none`),
        );
      }
    }
    return resilience.execute(callKey, () => original.apply(instance, args), {
      ...options,
      ...(fallback ? { fallback: (error: unknown) => (fallback as Method).call(instance, error, ...args) } : {}),
    });
  };
}

/** Method names along the prototype chain, up to (not including) Object.prototype. */
function methodNames(instance: object): Set<string> {
  const names = new Set<string>();
  for (let proto = Object.getPrototypeOf(instance); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === 'constructor') continue;
      const descriptor = Object.getOwnPropertyDescriptor(proto, name);
      if (descriptor && typeof descriptor.value === 'function') names.add(name);
    }
  }
  return names;
}

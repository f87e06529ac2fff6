import type { Layer } from '../resilience.service';

/** Namespaced, so no other library's metadata can collide with it. */
export const RESILIENCE_METADATA = 'tenk:resilience:policies';

/** A function of the decorated method's arguments (typed by the method it is written for). */
export type FromArgs<R> = (...args: never[]) => R;

/** What the decorators on one method asked for; the explorer turns it into a wrapper. */
export interface ResilienceMetadata {
  policy: string;
  layers: Layer[];
  /** The breaker / bulkhead key from the call's arguments, e.g. `shard:${shardName}`. */
  key?: FromArgs<string>;
  idempotent?: boolean;
  idempotencyKey?: FromArgs<string | undefined>;
  isFailure?: (error: unknown) => boolean;
  /** A method of the same provider, called with (error, ...args) when the call fails or is refused. */
  fallback?: string;
}

/**
 * Adds one layer (and its options) to the method's metadata. Every layer on a method must
 * name the same policy: one call, one set of numbers.
 */
export function addLayer(
  policy: string,
  layer: Layer,
  extra: Partial<Omit<ResilienceMetadata, 'policy' | 'layers'>> = {},
): MethodDecorator {
  return (target, propertyKey, descriptor) => {
    const method = descriptor.value as object | undefined;
    const where = `${(target as { constructor: { name: string } }).constructor.name}.${String(propertyKey)}`;
    if (typeof method !== 'function')
      throw new TypeError(`@${layerDecorator[layer]}('${policy}') on ${where}: only methods can be decorated`);
    const current = Reflect.getMetadata(RESILIENCE_METADATA, method) as ResilienceMetadata | undefined;
    if (current && current.policy !== policy) {
      throw new TypeError(
        `@${layerDecorator[layer]}('${policy}') on ${where}: the method already uses policy '${current.policy}'; one method, one policy`,
      );
    }
    for (const option of ['key', 'fallback', 'isFailure'] as const) {
      if (current?.[option] !== undefined && extra[option] !== undefined)
        throw new TypeError(`${where}: '${option}' is given twice; give it once`);
    }
    const next: ResilienceMetadata = { ...current, ...extra, policy, layers: [...(current?.layers ?? []), layer] };
    Reflect.defineMetadata(RESILIENCE_METADATA, next, method);
    return descriptor;
  };
}

export function readResilienceMetadata(method: unknown): ResilienceMetadata | undefined {
  return typeof method === 'function' ? (Reflect.getMetadata(RESILIENCE_METADATA, method) as ResilienceMetadata | undefined) : undefined;
}

const layerDecorator: Record<Layer, string> = { bulkhead: 'Bulkhead', retry: 'Retry', breaker: 'CircuitBreaker', timeout: 'Timeout' };

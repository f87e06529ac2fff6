import type { ExecutionContext } from '@nestjs/common';

/**
 * What a route's decorators say, read once per route instead of once per request: metadata does
 * not change after boot, and the reflector's lookups (two targets, merged) cost a few µs a call.
 * Kept by handler, with its controller, for a handler inherited by another controller.
 */
type Handler = ReturnType<ExecutionContext['getHandler']>;
type Controller = ReturnType<ExecutionContext['getClass']>;

export class PerRoute<T> {
  readonly #known = new WeakMap<object, { controller: unknown; value: T }>();

  /** `read(handler, controller)` is asked once per route. */
  constructor(private readonly read: (handler: Handler, controller: Controller) => T) {}

  of(context: ExecutionContext): T {
    const handler = context.getHandler();
    const controller = context.getClass();
    const known = this.#known.get(handler);
    if (known?.controller === controller) return known.value;
    const value = this.read(handler, controller);
    this.#known.set(handler, { controller, value });
    return value;
  }
}

import { AsyncLocalStorage } from 'node:async_hooks';

const store = new AsyncLocalStorage<AbortSignal>();

/** A signal that never aborts, for calls made without one. */
export const NEVER_ABORTED: AbortSignal = new AbortController().signal;

/**
 * The abort signal of the resilient call this code runs in: aborted when the call's timeout
 * fires. A decorated method passes it on to its I/O, e.g. undici's `request({ signal })`, so a
 * timed-out request is really cancelled rather than left running.
 */
export function currentCallSignal(): AbortSignal | undefined {
  return store.getStore();
}

export function runWithCallSignal<T>(signal: AbortSignal, work: () => T): T {
  return store.run(signal, work);
}

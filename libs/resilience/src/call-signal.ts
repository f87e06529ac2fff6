import { AsyncLocalStorage } from 'node:async_hooks';
import { setMaxListeners } from 'node:events';

const store = new AsyncLocalStorage<AbortSignal>();

/**
 * A signal that never aborts, for calls made without one. cockatiel listens on a call's signal
 * while the call runs, so hundreds of calls in flight mean hundreds of listeners: no limit.
 */
export const NEVER_ABORTED: AbortSignal = new AbortController().signal;
setMaxListeners(0, NEVER_ABORTED);

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

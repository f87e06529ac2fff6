/**
 * kafkajs 2.2.4 (the last release) spins on every broker connection while it has nothing to
 * send: `RequestQueue.scheduleCheckPendingRequests` arms a timer even when no request is
 * pending and the queue is not throttled, with a negative delay (`throttledUntil` is -1), so the
 * check runs again every millisecond, forever (kafkajs issues 1556, 1604 and 1704; the fix,
 * pull request 1667, is not released). That is about a thousand wakeups a second per
 * connection: most of what an idle mailer or reports process, or an api with its outbox
 * producer, spent.
 *
 * This replaces that one method with the fixed logic: a check is scheduled only while requests
 * are pending (a new request is sent at once or pends and schedules one itself; a fulfilled or
 * timed-out request checks the queue again), at the end of the client-side throttle or in 10 ms.
 * It touches only the method it knows: if kafkajs changes it, nothing is replaced, and
 * kafkajs-idle-fix.spec.ts fails so the upgrade gets looked at.
 */
interface RequestQueueLike {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

/** kafkajs' own interval between checks of a throttled queue. */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;
/** What identifies the released, spinning version of the method. */
const SPINNING =
  /let scheduleAt = this\.throttledUntil - Date\.now\(\)\s*if \(!this\.throttleCheckTimeoutId\) \{\s*if \(this\.pending\.length > 0\)/;

let state: 'unpatched' | 'patched' | 'unknown-version' = 'unpatched';

function scheduleCheckPendingRequests(this: RequestQueueLike): void {
  if (this.throttleCheckTimeoutId !== null || this.pending.length === 0) return;
  const untilUnthrottled = this.throttledUntil - Date.now();
  this.throttleCheckTimeoutId = setTimeout(
    () => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    },
    untilUnthrottled > 0 ? untilUnthrottled : CHECK_PENDING_REQUESTS_INTERVAL_MS,
  );
}

/** Applies the fix once per process (every tenk Kafka client config calls it); says what it did. */
export function fixKafkajsIdleLoop(): 'patched' | 'unknown-version' {
  if (state !== 'unpatched') return state;
  // The class is internal to kafkajs: loaded by path, the same module instance kafkajs itself uses.
  const RequestQueue = require('kafkajs/src/network/requestQueue') as { prototype: RequestQueueLike };
  const original = RequestQueue.prototype.scheduleCheckPendingRequests;
  if (typeof original !== 'function' || !SPINNING.test(original.toString())) {
    state = 'unknown-version';
    return state;
  }
  RequestQueue.prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
  state = 'patched';
  return state;
}

import { AsyncLocalStorage } from 'node:async_hooks';
import { maxLsn, type Lsn } from './wal-lsn';

/**
 * One client request's view of consistency: the WAL position of the client's last write (from
 * its cookie or header), raised by any write the request itself makes, and a hook that hands
 * a new position back to the client.
 */
export class ConsistencyScope {
  #minLsn: Lsn | undefined;
  readonly #onWrite: ((lsn: Lsn) => void) | undefined;

  constructor(minLsn: Lsn | undefined, onWrite?: (lsn: Lsn) => void) {
    this.#minLsn = minLsn;
    this.#onWrite = onWrite;
  }

  /** Reads in this scope must see at least this WAL position. */
  get minLsn(): Lsn | undefined {
    return this.#minLsn;
  }

  /** A write committed at `lsn`: later reads of this client must see it. */
  recordWrite(lsn: Lsn): void {
    const raised = maxLsn(this.#minLsn, lsn);
    if (raised === this.#minLsn) return;
    this.#minLsn = raised;
    if (raised !== undefined) this.#onWrite?.(raised);
  }
}

const storage = new AsyncLocalStorage<ConsistencyScope>();

/**
 * Carries a ConsistencyScope through everything a request awaits (AsyncLocalStorage), so the
 * data layer knows the client's last write without every service passing it along.
 */
export const ReadYourWrites = {
  run<T>(scope: ConsistencyScope, work: () => T): T {
    return storage.run(scope, work);
  },
  /** The scope of the request being served, if any (jobs and CLIs have none). */
  current(): ConsistencyScope | undefined {
    return storage.getStore();
  },
};

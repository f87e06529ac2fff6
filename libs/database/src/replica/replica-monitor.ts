import type { DataSource } from 'typeorm';
import type { LazyDataSource } from '../lazy-data-source';
import { REPLICA_NOT_PROBED, type ReplicaState } from './replica-state';
import { parseLsn, type Lsn } from './wal-lsn';

export interface ReplicaMonitorOptions {
  pollIntervalMs: number;
  /** Called after every probe, e.g. to update metrics. */
  onProbe?(state: ReplicaState): void;
  /** Called when the replica goes down or comes back (not on every failed probe). */
  onChange?(state: ReplicaState, previous: ReplicaState): void;
}

/** Primary WAL positions seen over the last minute or so, oldest overwritten first. */
class PrimarySamples {
  readonly #lsns: Array<Lsn | undefined>;
  readonly #times: Float64Array;
  #next = 0;

  constructor(capacity: number) {
    this.#lsns = new Array<Lsn | undefined>(capacity).fill(undefined);
    this.#times = new Float64Array(capacity);
  }

  add(lsn: Lsn, at: number): void {
    this.#lsns[this.#next] = lsn;
    this.#times[this.#next] = at;
    this.#next = (this.#next + 1) % this.#lsns.length;
  }

  get latest(): Lsn | undefined {
    return this.#lsns[(this.#next - 1 + this.#lsns.length) % this.#lsns.length];
  }

  /**
   * When the primary first had WAL the replica has not replayed: the time of the oldest
   * sample beyond `replayed`. Undefined when the replica is past every sample (caught up).
   */
  firstBeyond(replayed: Lsn): number | undefined {
    const size = this.#lsns.length;
    for (let i = 0; i < size; i++) {
      const index = (this.#next + i) % size;
      const lsn = this.#lsns[index];
      if (lsn !== undefined && lsn > replayed) return this.#times[index];
    }
    return undefined;
  }
}

/**
 * Probes the streaming replica every `pollIntervalMs`: is it up, how far has it replayed, and
 * how far behind the primary is it. Lag in time is measured, not guessed: each probe also
 * samples the primary's WAL position, and the lag is the age of the oldest sampled position
 * the replica has not replayed yet (0 when it has replayed everything we saw). That stays
 * right when the primary is idle, unlike `now() - pg_last_xact_replay_timestamp()`.
 */
export class ReplicaMonitor {
  readonly #primary: DataSource;
  readonly #replica: LazyDataSource;
  readonly #options: ReplicaMonitorOptions;
  readonly #samples: PrimarySamples;
  #state: ReplicaState = REPLICA_NOT_PROBED;
  #timer: NodeJS.Timeout | undefined;
  #probing: Promise<ReplicaState> | undefined;
  #stopped = true;

  constructor(primary: DataSource, replica: LazyDataSource, options: ReplicaMonitorOptions) {
    this.#primary = primary;
    this.#replica = replica;
    this.#options = options;
    this.#samples = new PrimarySamples(Math.min(1_200, Math.max(16, Math.ceil(60_000 / options.pollIntervalMs))));
  }

  get state(): ReplicaState {
    return this.#state;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#probing?.catch(() => undefined);
  }

  /** Probes now (joins a probe in flight) and returns what it found. */
  probe(): Promise<ReplicaState> {
    this.#probing ??= this.#probeOnce().finally(() => {
      this.#probing = undefined;
    });
    return this.#probing;
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      void this.probe().finally(() => this.#schedule(this.#options.pollIntervalMs));
    }, delayMs);
    this.#timer.unref();
  }

  async #probeOnce(): Promise<ReplicaState> {
    // The primary first: a replica position read after it can only look better, never worse.
    await this.#samplePrimary();
    const previous = this.#state;
    let next: ReplicaState;
    try {
      const replica = await this.#replica.get();
      const [row] = (await replica.query('SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS replayed')) as Array<{
        standby: boolean;
        replayed: string | null;
      }>;
      const replayLsn = parseLsn(row?.replayed);
      if (!row?.standby || replayLsn === undefined) {
        next = { up: false, checkedAt: Date.now(), error: 'the replica endpoint is not a standby in recovery' };
      } else {
        const now = Date.now();
        const behindSince = this.#samples.firstBeyond(replayLsn);
        const latest = this.#samples.latest;
        next = {
          up: true,
          replayLsn,
          lagMs: behindSince === undefined ? 0 : Math.max(0, now - behindSince),
          lagBytes: latest !== undefined && latest > replayLsn ? latest - replayLsn : 0n,
          checkedAt: now,
        };
      }
    } catch (error) {
      next = { up: false, checkedAt: Date.now(), error: error instanceof Error ? error.message : String(error) };
    }
    this.#state = next;
    this.#options.onProbe?.(next);
    const changed = previous.checkedAt === 0 ? !next.up : next.up !== previous.up;
    if (changed) this.#options.onChange?.(next, previous);
    return next;
  }

  async #samplePrimary(): Promise<void> {
    try {
      const [row] = (await this.#primary.query('SELECT pg_current_wal_lsn()::text AS lsn')) as Array<{ lsn: string }>;
      const lsn = parseLsn(row?.lsn);
      if (lsn !== undefined) this.#samples.add(lsn, Date.now());
    } catch {
      // Without the primary, lag is judged against the positions sampled before it went away.
      return;
    }
  }
}

import type { DataSource } from 'typeorm';
import type { LazyDataSource } from '../lazy-data-source';
import { REPLICA_NOT_PROBED, type ReplicaState } from './replica-state';
import { parseLsn, type Lsn } from './wal-lsn';

export interface ReplicaMonitorOptions {
  pollIntervalMs: number;
  /**
   * While no read is routed (see use()) for `idleAfterMs`, probes are spaced out, doubling up to
   * this; the next routed read probes at once and brings the pace back. Left out (or not above
   * pollIntervalMs): never slower.
   */
  idlePollMaxMs?: number;
  /** How long without a routed read counts as idle; default 10 poll intervals, at least 1 s. */
  idleAfterMs?: number;
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
   * After a gap in sampling longer than `cadenceMs` (probes spaced out while idle, or a primary
   * that did not answer), that WAL may have been written any time in the gap: the time is then
   * moved back to one cadence after the sample before the gap, so a gap counts against the
   * replica, never for it.
   */
  firstBeyond(replayed: Lsn, cadenceMs: number): number | undefined {
    const size = this.#lsns.length;
    let previous: number | undefined;
    for (let i = 0; i < size; i++) {
      const index = (this.#next + i) % size;
      const lsn = this.#lsns[index];
      if (lsn === undefined) continue;
      const at = this.#times[index];
      if (lsn > replayed) return previous === undefined || at - previous <= cadenceMs ? at : previous + cadenceMs;
      previous = at;
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
 *
 * An idle process need not probe ten times a second: when no read has been routed for
 * `idleAfterMs`, the interval doubles up to `idlePollMaxMs` (two queries every 2 s instead of
 * twenty a second), and the first routed read after that (use()) probes at once. Routing
 * distrusts a probe older than its staleAfterMs anyway, so the reads that arrive before that
 * probe answers go to the primary.
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
  /** The delay before the next scheduled probe: pollIntervalMs, or more while idle. */
  #delayMs: number;
  #lastUse = 0;

  constructor(primary: DataSource, replica: LazyDataSource, options: ReplicaMonitorOptions) {
    this.#primary = primary;
    this.#replica = replica;
    this.#options = options;
    this.#samples = new PrimarySamples(Math.min(1_200, Math.max(16, Math.ceil(60_000 / options.pollIntervalMs))));
    this.#delayMs = options.pollIntervalMs;
  }

  /** The delay before the next scheduled probe (pollIntervalMs unless idle). */
  get intervalMs(): number {
    return this.#delayMs;
  }

  get state(): ReplicaState {
    return this.#state;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule(0);
  }

  /**
   * A read is being routed: starts probing if it has not started, and, if probes were spaced
   * out while idle, probes now and goes back to pollIntervalMs. Cheap: called on every read.
   */
  use(now = Date.now()): void {
    this.#lastUse = now;
    if (this.#stopped) {
      this.start();
      return;
    }
    if (this.#delayMs <= this.#options.pollIntervalMs) return;
    this.#delayMs = this.#options.pollIntervalMs;
    clearTimeout(this.#timer);
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
    const timer = setTimeout(() => {
      void this.probe().finally(() => {
        // use() may have rescheduled meanwhile: only the timer still current goes on.
        if (this.#timer === timer) this.#schedule(this.#nextDelay());
      });
    }, delayMs);
    this.#timer = timer;
    timer.unref();
  }

  #nextDelay(): number {
    const { pollIntervalMs, idlePollMaxMs } = this.#options;
    const idleAfterMs = this.#options.idleAfterMs ?? Math.max(1_000, pollIntervalMs * 10);
    const idle = idlePollMaxMs !== undefined && idlePollMaxMs > pollIntervalMs && Date.now() - this.#lastUse >= idleAfterMs;
    this.#delayMs = idle ? Math.min(idlePollMaxMs, this.#delayMs * 2) : pollIntervalMs;
    return this.#delayMs;
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
        const behindSince = this.#samples.firstBeyond(replayLsn, this.#options.pollIntervalMs * 1.5);
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

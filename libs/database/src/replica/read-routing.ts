import type { ReplicaState } from './replica-state';
import type { Lsn } from './wal-lsn';

export type ReadTarget = 'replica' | 'primary';

/** Why a read went where it went: the label of `tenk_catalog_reads_total`. */
export type ReadReason =
  /** The replica is up, within the lag limit, and past this client's last write. */
  | 'replica-fresh'
  /** The `replicaReads` switch is off: every read on the primary. */
  | 'switched-off'
  /** The replica did not answer its last probe (or was never reached). */
  | 'replica-down'
  /** The probe is too old to trust (the prober is stuck): treat the replica as unknown. */
  | 'replica-unknown'
  /** Further behind the primary than the configured limit. */
  | 'replica-lagging'
  /** This client wrote at a WAL position the replica has not replayed yet. */
  | 'read-your-writes'
  /** The replica failed this very read; it was retried on the primary. */
  | 'replica-failed';

export interface ReadDecision {
  target: ReadTarget;
  reason: ReadReason;
}

export interface ReadRoutingInput {
  replicaReads: boolean;
  replica: ReplicaState;
  /** The WAL position of this client's last write, if it told us one. */
  clientLsn: Lsn | undefined;
  /** Honour clientLsn (TENK_REPLICA_READ_YOUR_WRITES); false only to measure what it prevents. Default true. */
  readYourWrites?: boolean;
  maxLagMs: number;
  /** A probe older than this is not trusted. */
  staleAfterMs: number;
  now: number;
}

/**
 * Picks the database for one catalog read. The replica serves it only when that cannot be
 * wrong for this client: the replica is up, recently probed, within the lag limit, and has
 * replayed at least up to the client's last write. The replay position used is the one from
 * the last probe, which can only be behind the replica's real one (replay never goes back),
 * so the check may send a read to the primary needlessly but never to a replica that lacks
 * the write.
 */
export function chooseReadTarget(input: ReadRoutingInput): ReadDecision {
  const { replica } = input;
  if (!input.replicaReads) return { target: 'primary', reason: 'switched-off' };
  if (!replica.up || replica.replayLsn === undefined) return { target: 'primary', reason: 'replica-down' };
  if (input.now - replica.checkedAt > input.staleAfterMs) return { target: 'primary', reason: 'replica-unknown' };
  if (replica.lagMs === undefined || replica.lagMs > input.maxLagMs) return { target: 'primary', reason: 'replica-lagging' };
  if (input.readYourWrites !== false && input.clientLsn !== undefined && replica.replayLsn < input.clientLsn)
    return { target: 'primary', reason: 'read-your-writes' };
  return { target: 'replica', reason: 'replica-fresh' };
}

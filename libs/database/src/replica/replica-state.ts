import type { Lsn } from './wal-lsn';

/** What the last probe of the streaming replica found. */
export interface ReplicaState {
  /** The replica answered and is a standby in recovery. */
  up: boolean;
  /** Its replay position: every WAL record up to here is visible to queries on it. */
  replayLsn?: Lsn;
  /** How long ago the primary wrote the oldest WAL the replica has not replayed (0 = caught up). */
  lagMs?: number;
  /** How many bytes of WAL the replica is behind the primary's last sampled position. */
  lagBytes?: bigint;
  /** When this probe finished (ms since the epoch); 0 = never probed yet. */
  checkedAt: number;
  /** Why the replica is not usable, when it is not. */
  error?: string;
}

export const REPLICA_NOT_PROBED: ReplicaState = Object.freeze({ up: false, checkedAt: 0, error: 'not probed yet' });

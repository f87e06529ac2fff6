import type { DataSource, EntityManager } from 'typeorm';

/**
 * Each shard keeps its own record of the buckets it owns (`shard_buckets`), and every
 * statement on a bucket's rows checks it in the same transaction. The shard map (in the catalog
 * database) only says where to look; this fence is what makes a stale map harmless: a process
 * that has not seen a bucket move yet is refused by the old shard instead of writing there.
 *
 * - owned:    this shard serves the bucket.
 * - incoming: a move is copying the bucket here; not served yet.
 * - moved:    the bucket now lives elsewhere; its rows here are about to be deleted.
 */
export type BucketState = 'owned' | 'incoming' | 'moved';

const NOT_OWNED = Symbol.for('tenk.BucketNotOwnedError');

/** The shard asked does not (or no longer) serve the bucket. The router re-reads the map and retries. */
export class BucketNotOwnedError extends Error {
  readonly [NOT_OWNED] = true;

  constructor(
    readonly bucket: number,
    readonly shard: string,
    readonly state: BucketState | 'absent',
  ) {
    super(`bucket ${bucket} is ${state === 'absent' ? 'not known' : state} on ${shard}; it is served elsewhere (or is moving)`);
    this.name = 'BucketNotOwnedError';
  }
}

export function isBucketNotOwned(error: unknown): error is BucketNotOwnedError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[NOT_OWNED] === true;
}

/** PostgreSQL's lock_not_available: a move holds the bucket longer than a writer will wait. */
export const LOCK_NOT_AVAILABLE = '55P03';

/**
 * For a write: takes a share lock on the bucket's row and checks the shard owns it. A move
 * takes the row FOR UPDATE while it copies the last rows over, so writers wait for it (as long
 * as the transaction's lock_timeout allows), then see `moved` and go to the new shard.
 */
export async function lockBucketForWrite(manager: EntityManager, shard: string, bucket: number): Promise<void> {
  const rows = (await manager.query('SELECT state FROM shard_buckets WHERE bucket = $1 FOR SHARE', [bucket])) as Array<{
    state: BucketState;
  }>;
  const state = rows[0]?.state ?? 'absent';
  if (state !== 'owned') throw new BucketNotOwnedError(bucket, shard, state);
}

/**
 * For a read (in a REPEATABLE READ transaction, so the check and the reads share one
 * snapshot): checks the shard owns the bucket. A move deletes the old copy only after marking
 * it moved, so a snapshot that sees `owned` also sees every row.
 */
export async function checkBucketForRead(manager: EntityManager, shard: string, bucket: number): Promise<void> {
  const state = await bucketState(manager, bucket);
  if (state !== 'owned') throw new BucketNotOwnedError(bucket, shard, state);
}

/** What this shard records for the bucket (no lock; in the caller's transaction when given one). */
export async function bucketState(db: Pick<DataSource | EntityManager, 'query'>, bucket: number): Promise<BucketState | 'absent'> {
  const rows = (await db.query('SELECT state FROM shard_buckets WHERE bucket = $1', [bucket])) as Array<{ state: BucketState }>;
  return rows[0]?.state ?? 'absent';
}

/** The buckets this shard serves, read in the caller's transaction (and snapshot). */
export async function ownedBuckets(manager: EntityManager): Promise<number[]> {
  const rows = (await manager.query(`SELECT bucket FROM shard_buckets WHERE state = 'owned' ORDER BY bucket`)) as Array<{ bucket: number }>;
  return rows.map((row) => Number(row.bucket));
}

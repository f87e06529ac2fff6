import type { DataSource, EntityManager } from 'typeorm';
import { sqlState } from '../sql-state';
import { ShardMap } from './shard-map';

type Queryable = Pick<DataSource | EntityManager, 'query'>;

const MAP_CONFLICT = Symbol.for('tenk.ShardMapConflictError');

/** Someone published another version first; re-read the map and decide again. */
export class ShardMapConflictError extends Error {
  readonly [MAP_CONFLICT] = true;

  constructor(readonly version: number) {
    super(`shard map version ${version} already exists: another change was published first; re-read the map and try again`);
    this.name = 'ShardMapConflictError';
  }
}

export function isShardMapConflict(error: unknown): error is ShardMapConflictError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[MAP_CONFLICT] === true;
}

/**
 * The live shard map lives in the catalog database (table `shard_map`, one row per version,
 * never updated in place): every api instance reads the newest row at boot and every few
 * seconds, and at once when a shard refuses a bucket. Keeping it in a database rather than in
 * each process's environment is what lets a bucket move while the shop runs.
 */
export async function loadShardMap(db: Queryable): Promise<ShardMap | undefined> {
  const rows = (await db.query('SELECT version, owners FROM shard_map ORDER BY version DESC LIMIT 1')) as Array<{
    version: number;
    owners: string[];
  }>;
  const row = rows[0];
  return row ? new ShardMap(Number(row.version), row.owners) : undefined;
}

/** Publishes `map` as the next version; fails if that version exists (two changes raced). */
export async function publishShardMap(db: Queryable, map: ShardMap, reason: string): Promise<void> {
  try {
    await db.query('INSERT INTO shard_map (version, owners, reason) VALUES ($1, $2, $3)', [map.version, [...map.owners], reason]);
  } catch (error) {
    // unique_violation: that version was published first.
    if (sqlState(error) === '23505') throw new ShardMapConflictError(map.version);
    throw error;
  }
}

export interface ShardMapHistoryEntry {
  version: number;
  reason: string;
  createdAt: Date;
}

export async function shardMapHistory(db: Queryable, limit = 10): Promise<ShardMapHistoryEntry[]> {
  const rows = (await db.query('SELECT version, reason, created_at FROM shard_map ORDER BY version DESC LIMIT $1', [limit])) as Array<{
    version: number;
    reason: string;
    created_at: Date;
  }>;
  return rows.map((row) => ({ version: Number(row.version), reason: row.reason, createdAt: row.created_at }));
}

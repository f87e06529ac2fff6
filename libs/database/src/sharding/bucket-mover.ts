import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { bucketState, type BucketState } from './bucket-fence';
import { checkBucketTables, keyExpression, type BucketTable } from './bucket-tables';
import type { ShardMap } from './shard-map';
import { loadShardMap, publishShardMap } from './shard-map.store';

/** The databases a move works with: the catalog (the map) and every shard by name. */
export interface MoveDatabases {
  catalog: DataSource;
  /** Every shard database (TENK_SHARD_DATABASES), so a move can see who holds the bucket. */
  shards: readonly string[];
  shard(name: string): Promise<DataSource>;
}

export interface MoveReport {
  bucket: number;
  from: string;
  to: string;
  /** The map version that sends the bucket to `to`. */
  version: number;
  /** Rows copied (inserted or brought up to date) on the target, over every pass, per bucket table's label. */
  copied: RowCounts;
  /** Rows (with their child rows) deleted from the source at the end, per bucket table's label. */
  deleted: RowCounts;
  /** How long writers to the bucket had to wait (the source's bucket row was locked). */
  frozenMs: number;
  durationMs: number;
  /** What was already done when this run started (a re-run after a crash resumes). */
  resumedFrom?: string;
}

/** Rows per bucket table's label, e.g. `{ orders: 12, idempotencyKeys: 3 }`. */
export type RowCounts = Record<string, number>;

const BATCH = 500;
/** How long the move waits for in-flight writers of the bucket before giving up. */
const FREEZE_LOCK_TIMEOUT = '10s';

/**
 * Moves one bucket between shard databases while the shop runs, without losing or duplicating
 * an order:
 *
 *  1. mark the bucket `incoming` on the target (not served there yet);
 *  2. copy its rows while writes continue on the source, then copy what changed meanwhile;
 *  3. lock the bucket's row on the source FOR UPDATE: every writer takes it FOR SHARE first, so
 *     from here no write to the bucket can commit anywhere; copy the last changes and verify
 *     that source and target hold identical rows;
 *  4. publish the next map version (bucket -> target), mark the source `moved` and release the
 *     lock: waiting writers see `moved`, re-read the map and go to the target;
 *  5. mark the target `owned`;
 *  6. verify again that every source row is on the target, then delete the source's copy.
 *
 * A crash anywhere leaves the bucket served by exactly one shard, or by none for a while (between
 * 4 and 5: requests for it retry, then get 503), never by two; running the same command again
 * resumes from where the states say it stopped.
 */
export class BucketMover {
  readonly #db: MoveDatabases;
  readonly #tables: readonly BucketTable[];
  readonly #log: (line: string) => void;

  /** `tables`: what lives in a bucket, in copy order, from the feature that owns it (ORDER_BUCKET_TABLES). */
  constructor(db: MoveDatabases, tables: readonly BucketTable[], log: (line: string) => void = () => undefined) {
    checkBucketTables(tables);
    this.#db = db;
    this.#tables = tables;
    this.#log = log;
  }

  #zero(): RowCounts {
    return Object.fromEntries(this.#tables.map((spec) => [spec.label, 0]));
  }

  async move(bucket: number, to: string): Promise<MoveReport> {
    const started = Date.now();
    const map = await loadShardMap(this.#db.catalog);
    if (!map) throw new Error('the catalog database has no shard map yet: run `npm run migrate` first');
    map.shardOf(bucket);
    if (!this.#db.shards.includes(to))
      throw new Error(`no shard database "${to}": TENK_SHARD_DATABASES lists ${this.#db.shards.join(', ')}`);
    const states = new Map<string, BucketState | 'absent'>();
    for (const shard of this.#db.shards) states.set(shard, await bucketState(await this.#db.shard(shard), bucket));
    const owners = [...states].filter(([, state]) => state === 'owned').map(([shard]) => shard);
    if (owners.length > 1)
      throw new Error(`bucket ${bucket} is owned by ${owners.join(' and ')}: fix shard_buckets by hand before moving it`);
    const target = await this.#db.shard(to);
    const report: MoveReport = {
      bucket,
      from: owners[0] ?? map.shardOf(bucket),
      to,
      version: map.version,
      copied: this.#zero(),
      deleted: this.#zero(),
      frozenMs: 0,
      durationMs: 0,
    };

    if (owners.length === 1 && owners[0] !== to) {
      const from = owners[0];
      const source = await this.#db.shard(from);
      await setState(target, bucket, 'incoming', map.version);
      this.#log(`bucket ${bucket}: ${to} marked incoming; copying from ${from} while it keeps serving`);
      this.#add(report, await this.#sync(source, target, bucket));
      const again = await this.#sync(source, target, bucket);
      this.#add(report, again);
      this.#log(`bucket ${bucket}: copied ${describe(report.copied)} (catch-up pass: ${total(again)} rows)`);
      report.version = await this.#freezeAndFlip(source, target, bucket, from, to, report);
    } else if (owners.length === 0) {
      // Stopped between the source giving the bucket up and the target taking it.
      if (states.get(to) !== 'incoming')
        throw new Error(
          `bucket ${bucket} is owned by no shard and ${to} is not receiving it (${states.get(to)}); move it to the shard marked incoming`,
        );
      report.resumedFrom = 'the source had given the bucket up but the target had not taken it';
      report.version = (await this.#ensureMapPointsTo(bucket, to)).version;
      await setState(target, bucket, 'owned', report.version);
      this.#log(`bucket ${bucket}: resumed: ${to} now owns it`);
    }

    // Delete old copies: the source of this move, or of an earlier one stopped before its delete.
    let cleaned = 0;
    for (const shard of this.#db.shards) {
      if (shard === to) continue;
      const source = await this.#db.shard(shard);
      if ((await bucketState(source, bucket)) !== 'moved' || (await rowCount(source, bucket, this.#tables)) === 0) continue;
      if (owners[0] === to) report.resumedFrom = `the bucket had moved to ${to}; its old copy on ${shard} was not deleted yet`;
      await this.#verifySubset(source, target, bucket);
      const deleted = await deleteBucket(source, bucket, this.#tables);
      for (const [label, count] of Object.entries(deleted)) report.deleted[label] += count;
      cleaned += 1;
      this.#log(`bucket ${bucket}: verified on ${to}; deleted ${describe(deleted)} from ${shard}`);
    }
    if (owners[0] === to && cleaned === 0)
      throw new Error(`bucket ${bucket} already lives on ${to} (map version ${map.version}); nothing to move`);
    report.durationMs = Date.now() - started;
    return report;
  }

  async #freezeAndFlip(
    source: DataSource,
    target: DataSource,
    bucket: number,
    from: string,
    to: string,
    report: MoveReport,
  ): Promise<number> {
    const lock: QueryRunner = source.createQueryRunner();
    await lock.connect();
    let frozenAt = 0;
    try {
      await lock.startTransaction();
      await lock.query(`SELECT set_config('lock_timeout', $1, true)`, [FREEZE_LOCK_TIMEOUT]);
      const rows = (await lock.query('SELECT state FROM shard_buckets WHERE bucket = $1 FOR UPDATE', [bucket])) as Array<{
        state: BucketState;
      }>;
      frozenAt = Date.now();
      if (rows[0]?.state !== 'owned')
        throw new Error(`bucket ${bucket} stopped being owned by ${from} during the move (${rows[0]?.state ?? 'absent'})`);
      this.#log(`bucket ${bucket}: frozen on ${from}; copying the last changes`);
      this.#add(report, await this.#sync(source, target, bucket));
      await this.#verifyEqual(source, target, bucket);
      const next = await this.#ensureMapPointsTo(bucket, to);
      await lock.query(`UPDATE shard_buckets SET state = 'moved', map_version = $2, updated_at = now() WHERE bucket = $1`, [
        bucket,
        next.version,
      ]);
      await lock.commitTransaction();
      report.frozenMs = Date.now() - frozenAt;
      await setState(target, bucket, 'owned', next.version);
      this.#log(`bucket ${bucket}: map version ${next.version} sends it to ${to}; writers waited ${report.frozenMs} ms`);
      return next.version;
    } catch (error) {
      if (lock.isTransactionActive) await lock.rollbackTransaction();
      throw error;
    } finally {
      await lock.release();
    }
  }

  async #ensureMapPointsTo(bucket: number, to: string): Promise<ShardMap> {
    const current = await loadShardMap(this.#db.catalog);
    if (!current) throw new Error('the shard map disappeared from the catalog database');
    if (current.shardOf(bucket) === to) return current;
    const next = current.withMove(bucket, to);
    await publishShardMap(this.#db.catalog, next, `bucket ${bucket}: ${current.shardOf(bucket)} -> ${to}`);
    return next;
  }

  /** Makes the target's rows of the bucket equal to the source's; returns rows written. */
  async #sync(source: DataSource, target: DataSource, bucket: number): Promise<RowCounts> {
    const written = this.#zero();
    for (const spec of this.#tables) written[spec.label] = await syncTable(source, target, bucket, spec);
    return written;
  }

  async #verifyEqual(source: DataSource, target: DataSource, bucket: number): Promise<void> {
    const tables = this.#tables.flatMap((spec) => [spec, ...(spec.children ?? [])]);
    for (const { table, key } of tables) {
      const [a, b] = await Promise.all([checksum(source, table, key, bucket), checksum(target, table, key, bucket)]);
      if (a.rows !== b.rows || a.digest !== b.digest) {
        throw new Error(
          `bucket ${bucket}: ${table} differs after the copy (${a.rows} rows on the source, ${b.rows} on the target); nothing was flipped, run the move again`,
        );
      }
    }
  }

  /**
   * After the flip the target serves the bucket and may already have changed its rows, so this
   * checks presence, not equality (equality was verified while the bucket was frozen): every
   * kept row of the source (every order) is on the target, with at least as many child rows.
   */
  async #verifySubset(source: DataSource, target: DataSource, bucket: number): Promise<void> {
    for (const spec of this.#tables.filter((table) => table.kept)) {
      const [ours, theirs] = await Promise.all([fingerprints(source, bucket, spec), fingerprints(target, bucket, spec)]);
      const missing = [...ours.keys()].filter((id) => !theirs.has(id));
      if (missing.length > 0)
        throw new Error(
          `bucket ${bucket}: ${missing.length} ${spec.label} of the source are not on the target (first: ${missing[0]}); not deleting anything`,
        );
      for (const child of spec.children ?? []) {
        const [a, b] = await Promise.all([countInBucket(source, child.table, bucket), countInBucket(target, child.table, bucket)]);
        if (b < a)
          throw new Error(`bucket ${bucket}: the target has fewer ${child.label} (${b}) than the source (${a}); not deleting anything`);
      }
    }
  }

  #add(report: MoveReport, rows: RowCounts): void {
    for (const [label, count] of Object.entries(rows)) report.copied[label] += count;
  }
}

async function setState(db: DataSource, bucket: number, state: BucketState, version: number): Promise<void> {
  await db.query(
    `INSERT INTO shard_buckets (bucket, state, map_version) VALUES ($1, $2, $3)
     ON CONFLICT (bucket) DO UPDATE SET state = EXCLUDED.state, map_version = EXCLUDED.map_version, updated_at = now()`,
    [bucket, state, version],
  );
}

/** Key -> md5 of the whole row (in UTC, so two servers print timestamps alike). */
async function fingerprints(db: DataSource, bucket: number, spec: BucketTable): Promise<Map<string, string>> {
  return db.transaction(async (manager) => {
    await manager.query(`SET LOCAL TIME ZONE 'UTC'`);
    const rows = (await manager.query(
      `SELECT ${keyExpression(spec.key)} AS key, md5(to_jsonb(t)::text) AS print FROM ${spec.table} t WHERE bucket = $1`,
      [bucket],
    )) as Array<{ key: string; print: string }>;
    return new Map(rows.map((row) => [row.key, row.print]));
  });
}

async function syncTable(source: DataSource, target: DataSource, bucket: number, spec: BucketTable): Promise<number> {
  const [want, have] = await Promise.all([fingerprints(source, bucket, spec), fingerprints(target, bucket, spec)]);
  const stale = [...want].filter(([key, print]) => have.get(key) !== print).map(([key]) => key);
  const extra = [...have.keys()].filter((key) => !want.has(key));
  const key = keyExpression(spec.key);
  const children = spec.children ?? [];
  for (let i = 0; i < stale.length; i += BATCH) {
    const keys = stale.slice(i, i + BATCH);
    const rows = await source.transaction(async (manager) => {
      await manager.query(`SET LOCAL TIME ZONE 'UTC'`);
      const [found] = (await manager.query(
        `SELECT coalesce(jsonb_agg(to_jsonb(t)), '[]') AS rows FROM ${spec.table} t WHERE bucket = $1 AND ${key} = ANY($2)`,
        [bucket, keys],
      )) as Array<{ rows: unknown[] }>;
      const childRows: unknown[][] = [];
      for (const child of children) {
        const [got] = (await manager.query(
          `SELECT coalesce(jsonb_agg(to_jsonb(c)), '[]') AS rows FROM ${child.table} c WHERE ${child.parentKey} = ANY($1)`,
          [keys],
        )) as Array<{ rows: unknown[] }>;
        childRows.push(got.rows);
      }
      return { rows: found.rows, childRows };
    });
    await target.transaction(async (manager) => {
      await upsert(manager, spec.table, rows.rows, spec.key);
      for (const [index, child] of children.entries()) {
        await manager.query(`DELETE FROM ${child.table} WHERE ${child.parentKey} = ANY($1)`, [keys]);
        await manager.query(`INSERT INTO ${child.table} SELECT * FROM jsonb_populate_recordset(NULL::${child.table}, $1::jsonb)`, [
          JSON.stringify(rows.childRows[index]),
        ]);
      }
    });
  }
  for (let i = 0; i < extra.length; i += BATCH) {
    await target.query(`DELETE FROM ${spec.table} WHERE bucket = $1 AND ${key} = ANY($2)`, [bucket, extra.slice(i, i + BATCH)]);
  }
  return stale.length + extra.length;
}

async function upsert(manager: EntityManager, table: string, rows: unknown[], keys: readonly string[]): Promise<void> {
  if (rows.length === 0) return;
  const columns = (
    (await manager.query(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`,
      [table],
    )) as Array<{ column_name: string }>
  ).map((row) => row.column_name);
  const updates = columns.filter((column) => !keys.includes(column)).map((column) => `"${column}" = EXCLUDED."${column}"`);
  await manager.query(
    `INSERT INTO ${table} SELECT * FROM jsonb_populate_recordset(NULL::${table}, $1::jsonb)
     ON CONFLICT (${keys.map((key) => `"${key}"`).join(', ')}) DO UPDATE SET ${updates.join(', ')}`,
    [JSON.stringify(rows)],
  );
}

async function checksum(db: DataSource, table: string, key: readonly string[], bucket: number): Promise<{ rows: number; digest: string }> {
  return db.transaction(async (manager) => {
    await manager.query(`SET LOCAL TIME ZONE 'UTC'`);
    const [row] = (await manager.query(
      `SELECT count(*)::int AS rows, coalesce(md5(string_agg(to_jsonb(t)::text, '|' ORDER BY ${key.join(', ')})), '') AS digest FROM ${table} t WHERE bucket = $1`,
      [bucket],
    )) as Array<{ rows: number; digest: string }>;
    return row;
  });
}

async function countInBucket(db: DataSource, table: string, bucket: number): Promise<number> {
  const [row] = (await db.query(`SELECT count(*)::int AS n FROM ${table} WHERE bucket = $1`, [bucket])) as Array<{ n: number }>;
  return row.n;
}

async function rowCount(db: DataSource, bucket: number, tables: readonly BucketTable[]): Promise<number> {
  let rows = 0;
  for (const spec of tables) rows += await countInBucket(db, spec.table, bucket);
  return rows;
}

/** Deletes the bucket's rows in small transactions (child rows go with theirs by their foreign key's cascade). */
async function deleteBucket(db: DataSource, bucket: number, tables: readonly BucketTable[]): Promise<RowCounts> {
  if ((await bucketState(db, bucket)) !== 'moved') throw new Error(`refusing to delete bucket ${bucket}: this shard still serves it`);
  const deleted: RowCounts = {};
  for (const spec of tables) {
    const columns = spec.key.join(', ');
    deleted[spec.label] = 0;
    for (;;) {
      const rows = (await db.query(
        `DELETE FROM ${spec.table} WHERE (${columns}) IN (SELECT ${columns} FROM ${spec.table} WHERE bucket = $1 LIMIT ${BATCH}) RETURNING 1`,
        [bucket],
      )) as [unknown[], number] | unknown[];
      const count = affected(rows);
      deleted[spec.label] += count;
      if (count === 0) break;
    }
  }
  return deleted;
}

function total(counts: RowCounts): number {
  return Object.values(counts).reduce((sum, count) => sum + count, 0);
}

function describe(counts: RowCounts): string {
  return Object.entries(counts)
    .map(([label, count]) => `${count} ${label}`)
    .join(' and ');
}

/** TypeORM returns `[rows, count]` for DELETE ... RETURNING on PostgreSQL. */
function affected(result: [unknown[], number] | unknown[]): number {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[1];
  return (result as unknown[]).length;
}

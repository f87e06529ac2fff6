import type { DataSource } from 'typeorm';
import { bucketOfCustomer } from './buckets';
import { bucketOfOrderId, isOrderId } from './order-id';
import type { ShardMap } from './shard-map';
import type { RowCounts } from './bucket-mover';
import { checkBucketTables, type BucketTable } from './bucket-tables';

export interface ShardStats {
  shard: string;
  /** Buckets the map gives this shard, and those the shard itself records as owned. */
  mappedBuckets: number;
  ownedBuckets: number;
  /** Rows of each bucket table and child table, by label (e.g. orders, orderLines, idempotencyKeys). */
  rows: RowCounts;
  databaseBytes: number;
}

/** Rows and size of one shard database; `tables` from the feature that owns them (ORDER_BUCKET_TABLES). */
export async function shardStats(db: DataSource, shard: string, map: ShardMap, tables: readonly BucketTable[]): Promise<ShardStats> {
  checkBucketTables(tables);
  const counted = tables.flatMap((spec) => [spec, ...(spec.children ?? [])]);
  const [row] = (await db.query(`
    SELECT ${counted.map((spec, index) => `(SELECT count(*) FROM ${spec.table})::bigint AS t${index},`).join('\n           ')}
           (SELECT count(*) FROM shard_buckets WHERE state = 'owned')::int AS owned,
           pg_database_size(current_database())::bigint AS bytes`)) as Array<Record<string, string | number>>;
  return {
    shard,
    mappedBuckets: map.bucketsOf(shard).length,
    ownedBuckets: Number(row.owned),
    rows: Object.fromEntries(counted.map((spec, index) => [spec.label, Number(row[`t${index}`])])),
    databaseBytes: Number(row.bytes),
  };
}

/** How evenly `counts` are spread: the largest and smallest against the mean. */
export function spread(counts: readonly number[]): {
  mean: number;
  maxOverMean: number;
  minOverMean: number;
  coefficientOfVariation: number;
} {
  const mean = counts.reduce((sum, value) => sum + value, 0) / Math.max(1, counts.length);
  if (mean === 0) return { mean: 0, maxOverMean: 0, minOverMean: 0, coefficientOfVariation: 0 };
  const variance = counts.reduce((sum, value) => sum + (value - mean) ** 2, 0) / counts.length;
  return {
    mean,
    maxOverMean: Math.max(...counts) / mean,
    minOverMean: Math.min(...counts) / mean,
    coefficientOfVariation: Math.sqrt(variance) / mean,
  };
}

export type Located =
  { kind: 'order'; id: string; bucket: number; shard: string } | { kind: 'customer'; id: string; bucket: number; shard: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Where an order id or a customer id (uuid) lives under `map`; undefined when it is neither. */
export function locate(id: string, map: ShardMap): Located | undefined {
  if (isOrderId(id)) {
    const bucket = bucketOfOrderId(id) as number;
    if (bucket >= map.buckets) return undefined;
    return { kind: 'order', id, bucket, shard: map.shardOf(bucket) };
  }
  if (UUID.test(id)) {
    const bucket = bucketOfCustomer(id, map.buckets);
    return { kind: 'customer', id, bucket, shard: map.shardOf(bucket) };
  }
  return undefined;
}

import type { DataSource } from 'typeorm';
import { bucketOfCustomer } from './buckets';
import { bucketOfOrderId, isOrderId } from './order-id';
import type { ShardMap } from './shard-map';

export interface ShardStats {
  shard: string;
  /** Buckets the map gives this shard, and those the shard itself records as owned. */
  mappedBuckets: number;
  ownedBuckets: number;
  orders: number;
  customers: number;
  orderLines: number;
  outboxBacklog: number;
  databaseBytes: number;
}

/** Rows and size of one shard database. */
export async function shardStats(db: DataSource, shard: string, map: ShardMap): Promise<ShardStats> {
  const [row] = (await db.query(`
    SELECT (SELECT count(*) FROM orders)::bigint AS orders,
           (SELECT count(DISTINCT customer_id) FROM orders)::bigint AS customers,
           (SELECT count(*) FROM order_lines)::bigint AS lines,
           (SELECT count(*) FROM outbox WHERE published_at IS NULL)::bigint AS backlog,
           (SELECT count(*) FROM shard_buckets WHERE state = 'owned')::int AS owned,
           pg_database_size(current_database())::bigint AS bytes`)) as Array<Record<string, string | number>>;
  return {
    shard,
    mappedBuckets: map.bucketsOf(shard).length,
    ownedBuckets: Number(row.owned),
    orders: Number(row.orders),
    customers: Number(row.customers),
    orderLines: Number(row.lines),
    outboxBacklog: Number(row.backlog),
    databaseBytes: Number(row.bytes),
  };
}

/** How evenly `counts` are spread: the largest and smallest against the mean. */
export function spread(counts: readonly number[]): { mean: number; maxOverMean: number; minOverMean: number; coefficientOfVariation: number } {
  const mean = counts.reduce((sum, value) => sum + value, 0) / Math.max(1, counts.length);
  if (mean === 0) return { mean: 0, maxOverMean: 0, minOverMean: 0, coefficientOfVariation: 0 };
  const variance = counts.reduce((sum, value) => sum + (value - mean) ** 2, 0) / counts.length;
  return { mean, maxOverMean: Math.max(...counts) / mean, minOverMean: Math.min(...counts) / mean, coefficientOfVariation: Math.sqrt(variance) / mean };
}

export type Located = { kind: 'order'; id: string; bucket: number; shard: string } | { kind: 'customer'; id: string; bucket: number; shard: string };

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

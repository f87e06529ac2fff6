import type { DataSource } from 'typeorm';

export interface OrderShardFigures {
  /** Customers with at least one order on this shard. */
  customers: number;
  /** Outbox rows not yet published to Kafka. */
  outboxBacklog: number;
}

/** The orders feature's own figures of one shard database, beside the generic shard stats. */
export async function orderShardFigures(db: DataSource): Promise<OrderShardFigures> {
  const [row] = (await db.query(`
    SELECT (SELECT count(DISTINCT customer_id) FROM orders)::bigint AS customers,
           (SELECT count(*) FROM outbox WHERE published_at IS NULL)::bigint AS backlog`)) as Array<Record<string, string>>;
  return { customers: Number(row.customers), outboxBacklog: Number(row.backlog) };
}

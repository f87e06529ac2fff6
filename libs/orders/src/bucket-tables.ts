import type { BucketTable } from '@tenk/database';

/**
 * What the orders feature keeps in a bucket of a shard database (tables from the shard
 * migrations in @tenk/database), handed to the bucket mover (`npm run shards -- rebalance`,
 * the lab) and to shard inspection (`npm run shards -- stats`). Copy order: orders with their
 * lines, then the idempotency keys that answer a repeated checkout.
 */
export const ORDER_BUCKET_TABLES: readonly BucketTable[] = [
  {
    label: 'orders',
    table: 'orders',
    key: ['id'],
    // A shard never deletes an order on its own: each must reach the target before the move deletes the source's copy.
    kept: true,
    children: [{ label: 'orderLines', table: 'order_lines', parentKey: 'order_id', key: ['order_id', 'line_no'] }],
  },
  // Keys expire on their own, so only their equality while frozen is checked, not their presence after.
  { label: 'idempotencyKeys', table: 'idempotency_keys', key: ['customer_id', 'key'] },
];

import type { TenkConfig } from '@tenk/config';
import {
  BucketMover,
  byShardName,
  compressRanges,
  loadShardMap,
  locate,
  shardMapHistory,
  shardStats,
  spread,
  type BucketState,
  type ShardMap,
} from '@tenk/database';
import { ORDER_BUCKET_TABLES, orderShardFigures } from '@tenk/orders';
import type { CliDatabases } from './shard-databases';

export type Print = (line: string) => void;

export async function currentMap(db: CliDatabases): Promise<ShardMap> {
  const map = await loadShardMap(await db.catalog());
  if (!map) throw new Error('the catalog database has no shard map yet: run `npm run migrate` first');
  return map;
}

/** `map`: the live map, each shard's own records where they disagree with it, and the history. */
export async function showMap(config: TenkConfig, db: CliDatabases, print: Print): Promise<void> {
  const map = await currentMap(db);
  print(
    `shard map version ${map.version}: ${map.buckets} buckets over ${map.shards().length} shards (table shard_map in the catalog database ${config.postgres.catalogDatabase})`,
  );
  const width = Math.max(...db.shardNames.map((name) => name.length));
  for (const shard of [...new Set([...db.shardNames, ...map.shards()])].sort(byShardName)) {
    const buckets = map.bucketsOf(shard);
    print(
      `  ${shard.padEnd(width)}  ${String(buckets.length).padStart(4)} buckets  ${buckets.length === 0 ? '(none)' : compressRanges(buckets)}`,
    );
  }
  const disagreements: string[] = [];
  for (const shard of db.shardNames) {
    const rows = (await (await db.shard(shard)).query('SELECT bucket, state FROM shard_buckets ORDER BY bucket')) as Array<{
      bucket: number;
      state: BucketState;
    }>;
    const owned = new Set(rows.filter((row) => row.state === 'owned').map((row) => Number(row.bucket)));
    const mapped = new Set(map.bucketsOf(shard));
    const extra = [...owned].filter((bucket) => !mapped.has(bucket));
    const missing = [...mapped].filter((bucket) => !owned.has(bucket));
    const moving = rows.filter((row) => row.state === 'incoming').map((row) => Number(row.bucket));
    if (extra.length > 0) disagreements.push(`${shard} owns buckets the map gives elsewhere: ${compressRanges(extra)}`);
    if (missing.length > 0) disagreements.push(`${shard} does not own buckets the map gives it: ${compressRanges(missing)}`);
    if (moving.length > 0)
      disagreements.push(`${shard} is receiving buckets ${compressRanges(moving)} (a move in progress, or one to resume with rebalance)`);
  }
  print(disagreements.length === 0 ? 'every shard agrees with the map' : disagreements.map((line) => `! ${line}`).join('\n'));
  print('history:');
  for (const entry of await shardMapHistory(await db.catalog(), 5))
    print(`  v${entry.version}  ${entry.createdAt.toISOString()}  ${entry.reason}`);
}

/** `locate <customerId|orderId>`: bucket and shard, and what that shard holds for it. */
export async function locateId(db: CliDatabases, id: string, print: Print): Promise<void> {
  const map = await currentMap(db);
  const found = locate(id, map);
  if (!found) throw new UsageError(`"${id}" is neither an order id (ord_xxx_...) nor a customer id (a uuid)`);
  const shard = await db.shard(found.shard);
  if (found.kind === 'order') {
    const [order] = (await shard.query(
      `SELECT customer_id, status, total_cents, currency, created_at, (SELECT count(*) FROM order_lines WHERE order_id = o.id)::int AS lines FROM orders o WHERE id = $1`,
      [id],
    )) as Array<{ customer_id: string; status: string; total_cents: string; currency: string; created_at: Date; lines: number }>;
    print(`order ${id} -> bucket ${found.bucket} (from the id) -> ${found.shard} (map version ${map.version})`);
    print(
      order
        ? `  ${order.status}, ${order.lines} lines, ${(Number(order.total_cents) / 100).toFixed(2)} ${order.currency.trim()}, placed ${order.created_at.toISOString()} by customer ${order.customer_id}`
        : '  not on that shard: no such order',
    );
  } else {
    const [row] = (await shard.query('SELECT count(*)::int AS orders, max(created_at) AS latest FROM orders WHERE customer_id = $1', [
      id,
    ])) as Array<{ orders: number; latest: Date | null }>;
    print(`customer ${id} -> bucket ${found.bucket} (sha256 of the id mod ${map.buckets}) -> ${found.shard} (map version ${map.version})`);
    print(`  ${row.orders} orders there${row.latest ? `, the latest placed ${row.latest.toISOString()}` : ''}`);
  }
}

/** `stats`: rows and size per shard, and how evenly orders are spread. */
export async function showStats(db: CliDatabases, print: Print): Promise<void> {
  const map = await currentMap(db);
  const stats = [];
  for (const name of db.shardNames) {
    const shard = await db.shard(name);
    stats.push({ ...(await shardStats(shard, name, map, ORDER_BUCKET_TABLES)), ...(await orderShardFigures(shard)) });
  }
  const header = ['shard', 'buckets', 'orders', 'customers', 'lines', 'outbox backlog', 'size'];
  const rows = stats.map((s) => [
    s.shard,
    `${s.ownedBuckets}`,
    s.rows.orders.toLocaleString('en-US'),
    s.customers.toLocaleString('en-US'),
    s.rows.orderLines.toLocaleString('en-US'),
    s.outboxBacklog.toLocaleString('en-US'),
    `${(s.databaseBytes / 2 ** 20).toFixed(1)} MiB`,
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  print(
    header
      .map((title, column) => title.padEnd(widths[column]))
      .join('  ')
      .trimEnd(),
  );
  for (const row of rows)
    print(row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  '));
  const orders = spread(stats.map((s) => s.rows.orders));
  const total = stats.reduce((sum, s) => sum + s.rows.orders, 0);
  print(
    `${total.toLocaleString('en-US')} orders; spread: largest shard ${orders.maxOverMean.toFixed(2)}x the mean, smallest ${orders.minOverMean.toFixed(2)}x, coefficient of variation ${(orders.coefficientOfVariation * 100).toFixed(1)}%`,
  );
  const mismatched = stats.filter((s) => s.ownedBuckets !== s.mappedBuckets);
  if (mismatched.length > 0)
    print(
      `! ${mismatched.map((s) => `${s.shard} owns ${s.ownedBuckets} buckets, the map gives it ${s.mappedBuckets}`).join('; ')} (see \`npm run shards -- map\`)`,
    );
}

/** `rebalance --bucket B --to shard_N`: moves one bucket online. */
export async function rebalance(db: CliDatabases, bucket: number, to: string, print: Print): Promise<void> {
  const mover = new BucketMover(
    { catalog: await db.catalog(), shards: db.shardNames, shard: (name) => db.shard(name) },
    ORDER_BUCKET_TABLES,
    (line) => print(`  ${line}`),
  );
  print(`moving bucket ${bucket} to ${to}`);
  const report = await mover.move(bucket, to);
  if (report.resumedFrom) print(`  (resumed: ${report.resumedFrom})`);
  print(
    `done in ${report.durationMs} ms: bucket ${bucket} ${report.from} -> ${report.to}, map version ${report.version}; ` +
      `${report.copied.orders} orders and ${report.copied.idempotencyKeys} keys copied, ${report.deleted.orders} orders deleted from the old shard; writers waited ${report.frozenMs} ms`,
  );
}

/** `plan --shards a,b,...`: the fewest moves that spread the buckets evenly over those shards. */
export async function plan(db: CliDatabases, shards: string[], print: Print): Promise<void> {
  const map = await currentMap(db);
  const moves = map.planSpread(shards);
  print(
    `spreading ${map.buckets} buckets over ${shards.join(', ')}: ${moves.length} moves (${((moves.length / map.buckets) * 100).toFixed(1)}% of the buckets, and so of the data)`,
  );
  for (const move of moves) print(`  npm run shards -- rebalance --bucket ${move.bucket} --to ${move.to}   # from ${move.from}`);
  const missing = shards.filter((shard) => !db.shardNames.includes(shard));
  if (missing.length > 0)
    print(
      `! ${missing.join(', ')} not in TENK_SHARD_DATABASES: create the database, add it there (every process), run \`npm run migrate\`, then move.`,
    );
}

export class UsageError extends Error {}

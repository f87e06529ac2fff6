/**
 * Drill: one order shard becomes unreachable (its database stops taking connections). Its
 * customers get a fast 503; customers on the other shards order as usual; when the shard is
 * back, its breaker closes after a probe and its customers order again.
 */
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { bucketOfCustomer, createCatalogDataSource, loadShardMap, type ShardMap } from '@tenk/database';
import { eventually } from '@tenk/testing';
import { config } from '../queues-support';
import { newCustomer, placeOrder } from './shop-client';
import type { Session } from '../queues-support';

const TARGET = 'shard_2';

async function superuserOfShard(sql: string): Promise<void> {
  // As the owner of the shard database (tenk), from the maintenance database.
  const client = new Client({
    host: config.postgres.primary.host,
    port: config.postgres.primary.port,
    user: config.postgres.user,
    password: config.postgres.password,
    database: 'postgres',
  });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function customerOn(map: ShardMap, wanted: (shard: string) => boolean, label: string): Promise<Session> {
  for (let attempt = 0; attempt < 60; attempt++) {
    const customer = await newCustomer(label);
    if (wanted(map.shardOf(bucketOfCustomer(customer.user.id, map.buckets)))) return customer;
  }
  throw new Error(`no customer landed where wanted after 60 sign-ups (${label})`);
}

describe('drill: one shard down', () => {
  let catalog: DataSource;

  beforeAll(async () => {
    catalog = createCatalogDataSource(config, 'primary', [], 'drills');
    await catalog.initialize();
  });
  afterAll(async () => {
    await superuserOfShard(`ALTER DATABASE ${TARGET} WITH ALLOW_CONNECTIONS true`);
    await catalog.destroy();
  });

  it("fails fast for that shard's customers only, and recovers", async () => {
    const map = (await loadShardMap(catalog))!;
    expect(map.shards()).toContain(TARGET);
    const onTarget = await customerOn(map, (shard) => shard === TARGET, 'shard-down');
    const elsewhere = await customerOn(map, (shard) => shard !== TARGET, 'shard-up');

    await superuserOfShard(`ALTER DATABASE ${TARGET} WITH ALLOW_CONNECTIONS false`);
    await superuserOfShard(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${TARGET}' AND pid <> pg_backend_pid()`,
    );

    const refused = await placeOrder(onTarget);
    expect(refused.status).toBe(503);
    // Once its breaker is open, the refusal does not even try the database.
    await eventually(async () => (await placeOrder(onTarget)).status === 503, 'orders on the dead shard were not refused', 10_000, 100);
    const mine = await onTarget.request('GET', `/customers/${onTarget.user.id}/orders`);
    expect(mine.status).toBe(503);

    expect((await placeOrder(elsewhere)).status).toBe(201);
    expect((await elsewhere.request('GET', `/customers/${elsewhere.user.id}/orders`)).status).toBe(200);

    await superuserOfShard(`ALTER DATABASE ${TARGET} WITH ALLOW_CONNECTIONS true`);
    await eventually(async () => (await placeOrder(onTarget)).status === 201, 'the shard never came back for its customers', 60_000, 500);
  });
});

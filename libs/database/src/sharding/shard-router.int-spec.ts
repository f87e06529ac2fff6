import type { TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { loadConfig } from '@tenk/config';
import { uniqueName } from '@tenk/testing';
import { createCatalogDataSource, createShardDataSource } from '../data-source.factory';
import { createScratchDatabases, type ScratchDatabases } from '../scratch-databases';
import { startDatabaseContext } from '../testing/database-test-app';
import { BucketMover } from './bucket-mover';
import type { BucketTable } from './bucket-tables';

/** The shard migrations' bucket tables, as the orders feature hands them over (@tenk/orders' ORDER_BUCKET_TABLES). */
const TABLES: BucketTable[] = [
  {
    label: 'orders',
    table: 'orders',
    key: ['id'],
    kept: true,
    children: [{ label: 'orderLines', table: 'order_lines', parentKey: 'order_id', key: ['order_id', 'line_no'] }],
  },
  { label: 'idempotencyKeys', table: 'idempotency_keys', key: ['customer_id', 'key'] },
];
import { bucketOfCustomer } from './buckets';
import { isShardTimeout, mergeSorted } from './scatter-gather';
import { newOrderId } from './order-id';
import { ShardRouter } from './shard-router';
import { loadShardMap } from './shard-map.store';

interface Row {
  id: string;
  created_at: string;
}

/**
 * The ShardRouter and the bucket mover against four real shard databases (scratch copies on
 * the shared PostgreSQL server).
 */
describe('ShardRouter on real shards', () => {
  let scratch: ScratchDatabases;
  let context: TestingModule;
  let router: ShardRouter;
  let catalog: DataSource;
  const shards = new Map<string, DataSource>();
  const buckets = 256;

  beforeAll(async () => {
    // A long map refresh: this process only learns about moves when a shard refuses it.
    scratch = await createScratchDatabases(loadConfig(), {
      name: uniqueName('router'),
      env: { TENK_SHARD_MAP_REFRESH: '1h', TENK_SHARD_TIMEOUT: '500ms' },
    });
    context = await startDatabaseContext(scratch.config);
    router = context.get(ShardRouter);
    catalog = await createCatalogDataSource(scratch.config, 'primary', [], 'router-test').initialize();
    for (const [index, name] of scratch.shards.entries())
      shards.set(name, await createShardDataSource(scratch.config, index, [], 'router-test').initialize());
  });

  afterAll(async () => {
    await context?.close();
    await Promise.all([catalog, ...shards.values()].map((source) => source?.destroy()));
    await scratch?.drop();
  });

  const mover = () => new BucketMover({ catalog, shards: scratch.shards, shard: async (name) => shards.get(name) as DataSource }, TABLES);

  async function insertOrder(manager: EntityManager, customerId: string, bucket: number, createdAt?: string): Promise<string> {
    const id = newOrderId(bucket);
    await manager.query(
      `INSERT INTO orders (id, bucket, customer_id, status, currency, total_cents, payment_authorization_id, reservation_id, created_at)
       VALUES ($1, $2, $3, 'placed', 'EUR', 100, 'auth_test', $4, coalesce($5::timestamptz, now()))`,
      [id, bucket, customerId, randomUUID(), createdAt ?? null],
    );
    return id;
  }

  const placeFor = (customerId: string, createdAt?: string) =>
    router.forCustomer(customerId).write((manager) => insertOrder(manager, customerId, router.bucketOfCustomer(customerId), createdAt));

  /** A customer whose orders fall in `bucket`. */
  function customerIn(bucket: number): string {
    for (;;) {
      const id = randomUUID();
      if (bucketOfCustomer(id, buckets) === bucket) return id;
    }
  }

  async function rowsOn(shard: string, where: string, values: unknown[]): Promise<string[]> {
    return ((await (shards.get(shard) as DataSource).query(`SELECT id FROM orders WHERE ${where}`, values)) as Array<{ id: string }>).map(
      (row) => row.id,
    );
  }

  it('sends a customer to one shard, computed the same way by every process, and finds an order from its id alone', async () => {
    const other = await startDatabaseContext(scratch.config);
    try {
      const customer = randomUUID();
      const scope = router.forCustomer(customer);
      expect(other.get(ShardRouter).forCustomer(customer).shard).toBe(scope.shard);
      const id = await placeFor(customer);
      expect(router.forOrder(id)?.shard).toBe(scope.shard);
      expect(await rowsOn(scope.shard, 'id = $1', [id])).toEqual([id]);
      for (const shard of scratch.shards.filter((name) => name !== scope.shard)) expect(await rowsOn(shard, 'id = $1', [id])).toEqual([]);
      expect(router.forOrder('ord_fff_01JDQ4Z5W8M2N6P3R7T9V0X1YB')).toBeUndefined();
      expect(router.forOrder('12')).toBeUndefined();
    } finally {
      await other.close();
    }
  });

  it('spreads customers over the four shards', async () => {
    const perShard = new Map<string, number>();
    for (let i = 0; i < 400; i++) {
      const customer = randomUUID();
      await placeFor(customer);
      const shard = router.forCustomer(customer).shard;
      perShard.set(shard, (perShard.get(shard) ?? 0) + 1);
    }
    expect([...perShard.keys()].sort()).toEqual([...scratch.shards].sort());
    // 100 expected each; the standard deviation is 8.7.
    for (const count of perShard.values()) expect(count).toBeGreaterThan(60);
  });

  it('pages through every shard with a keyset cursor, returning each order exactly once and in order', async () => {
    const since = '2001-01-01T00:00:00.000Z';
    // Few distinct times, so many orders tie on created_at and only the id orders them.
    const times = ['2001-01-01T00:00:00.000Z', '2001-01-01T00:00:00.001Z', '2001-01-01T00:00:01.000Z', '2001-01-02T00:00:00.000Z'];
    const expected: Row[] = [];
    for (let i = 0; i < 300; i++) {
      const createdAt = times[i % times.length];
      expected.push({ id: await placeFor(randomUUID(), createdAt), created_at: createdAt });
    }
    expected.sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : 1));
    const seen: Row[] = [];
    let after: Row | undefined;
    for (let pages = 0; pages < 100; pages++) {
      const result = await router.all((manager, { owned }) => listSince(manager, owned, since, 7, after));
      expect(result.failed).toEqual([]);
      const page = mergeSorted(
        result.outcomes.map((outcome) => (outcome.ok ? outcome.value : [])),
        (a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
        7,
        (row) => row.id,
      );
      seen.push(...page);
      if (page.length < 7) break;
      after = page[page.length - 1];
    }
    expect(seen.filter((row) => row.created_at < '2002').map((row) => row.id)).toEqual(expected.map((row) => row.id));
  });

  it('reports a shard that takes longer than the per-shard timeout, and still answers from the others', async () => {
    const slow = scratch.shards[2];
    const result = await router.all(async (manager, { shard }) => {
      if (shard === slow) await manager.query('SELECT pg_sleep(3)');
      return ['ok'];
    });
    expect(result.failed.map((failure) => failure.shard)).toEqual([slow]);
    const failure = result.failed[0].error;
    expect(isShardTimeout(failure) || /statement timeout/.test(failure.message)).toBe(true);
    expect(result.outcomes.filter((outcome) => outcome.ok)).toHaveLength(3);
  });

  it('follows a bucket it did not know had moved: the old shard refuses, the router re-reads the map and retries', async () => {
    const bucket = 3;
    const customer = customerIn(bucket);
    const first = await placeFor(customer);
    const from = router.map.shardOf(bucket);
    const to = scratch.shards.find((name) => name !== from) as string;
    const versionBefore = router.map.version;
    const report = await mover().move(bucket, to);
    expect(report).toMatchObject({ bucket, from, to });
    // Other tests' customers may share the bucket: at least this one's order moved.
    expect(report.copied.orders).toBeGreaterThanOrEqual(1);
    expect(report.deleted.orders).toBe(report.copied.orders);
    // This process still has the old map.
    expect(router.map.shardOf(bucket)).toBe(from);
    const second = await placeFor(customer);
    expect(router.map.shardOf(bucket)).toBe(to);
    expect(router.map.version).toBeGreaterThan(versionBefore);
    expect((await rowsOn(to, 'customer_id = $1', [customer])).sort()).toEqual([first, second].sort());
    expect(await rowsOn(from, 'customer_id = $1', [customer])).toEqual([]);
    const read = await router.forOrder(first)?.read((manager) => manager.query('SELECT id FROM orders WHERE id = $1', [first]));
    expect(read).toEqual([{ id: first }]);
  });

  it('moves a bucket while its orders are being written and read, losing and duplicating none', async () => {
    const bucket = 77;
    const customers = Array.from({ length: 5 }, () => customerIn(bucket));
    const written: string[] = [];
    for (const customer of customers) for (let i = 0; i < 40; i++) written.push(await placeFor(customer));
    const from = router.map.shardOf(bucket);
    const to = scratch.shards.find((name) => name !== from) as string;

    let moving = true;
    const failures: unknown[] = [];
    const writers = customers.map(async (customer) => {
      while (moving) {
        try {
          written.push(await placeFor(customer));
        } catch (error) {
          failures.push(error);
        }
      }
    });
    const duplicatesSeen: string[] = [];
    const reader = (async () => {
      while (moving) {
        const result = await router.all(
          (manager, { owned }) =>
            manager.query('SELECT id FROM orders WHERE bucket = ANY($1::smallint[]) AND bucket = $2', [owned, bucket]) as Promise<
              Array<{ id: string }>
            >,
        );
        const ids = result.outcomes.flatMap((outcome) => (outcome.ok ? outcome.value.map((row) => row.id) : []));
        if (new Set(ids).size !== ids.length) duplicatesSeen.push(...ids);
      }
    })();
    const report = await mover().move(bucket, to);
    // A few more writes after the flip, through the same (now refreshed) router.
    await new Promise((resolve) => setTimeout(resolve, 200));
    moving = false;
    await Promise.all([...writers, reader]);

    expect(failures).toEqual([]);
    expect(duplicatesSeen).toEqual([]);
    const onTarget = await rowsOn(to, 'bucket = $1 AND customer_id = ANY($2::uuid[])', [bucket, customers]);
    expect(await rowsOn(from, 'bucket = $1', [bucket])).toEqual([]);
    expect(onTarget.sort()).toEqual([...written].sort());
    expect(new Set(onTarget).size).toBe(onTarget.length);
    expect(report.frozenMs).toBeGreaterThanOrEqual(0);
    expect((await loadShardMap(catalog))?.shardOf(bucket)).toBe(to);
  });

  it('resumes a move that stopped after the flip but before deleting the old copy', async () => {
    const bucket = 200;
    const customer = customerIn(bucket);
    const ids = [await placeFor(customer), await placeFor(customer)];
    const from = router.map.shardOf(bucket);
    const to = scratch.shards.find((name) => name !== from) as string;
    await mover().move(bucket, to);
    // Put the old copy back, as a crash before the delete would have left it.
    const source = shards.get(from) as DataSource;
    const target = shards.get(to) as DataSource;
    const rows = (await target.query('SELECT coalesce(jsonb_agg(to_jsonb(o)), $2) AS rows FROM orders o WHERE bucket = $1', [
      bucket,
      '[]',
    ])) as Array<{ rows: unknown[] }>;
    await source.query('INSERT INTO orders SELECT * FROM jsonb_populate_recordset(NULL::orders, $1::jsonb)', [
      JSON.stringify(rows[0].rows),
    ]);
    expect((await rowsOn(from, 'customer_id = $1', [customer])).sort()).toEqual(ids.sort());

    const report = await mover().move(bucket, to);
    expect(report.resumedFrom).toMatch(/old copy on .* was not deleted yet/);
    expect(report.deleted.orders).toBe(rows[0].rows.length);
    expect(await rowsOn(from, 'bucket = $1', [bucket])).toEqual([]);
    expect((await rowsOn(to, 'customer_id = $1', [customer])).sort()).toEqual(ids.sort());
    await expect(mover().move(bucket, to)).rejects.toThrow(/already lives on/);
  });

  it('resumes a move that stopped after the source gave the bucket up, before the target took it', async () => {
    const bucket = 201;
    const customer = customerIn(bucket);
    await placeFor(customer);
    const from = router.map.shardOf(bucket);
    const to = scratch.shards.find((name) => name !== from) as string;
    await mover().move(bucket, to);
    await (shards.get(to) as DataSource).query(`UPDATE shard_buckets SET state = 'incoming' WHERE bucket = $1`, [bucket]);
    // Nobody serves the bucket now: requests for it wait, then fail with 503 (BucketUnavailableError).
    const report = await mover().move(bucket, to);
    expect(report.resumedFrom).toMatch(/target had not taken it/);
    const id = await placeFor(customer);
    expect(await rowsOn(to, 'id = $1', [id])).toEqual([id]);
  });
});

/** One shard's orders since `since` in (created_at, id) order, after the cursor, from owned buckets only. */
async function listSince(manager: EntityManager, owned: readonly number[], since: string, limit: number, after?: Row): Promise<Row[]> {
  const rows = (await manager.query(
    `SELECT id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at FROM orders
     WHERE bucket = ANY($1::smallint[]) AND created_at >= $2::timestamptz AND (created_at, id) > ($4::timestamptz, $5)
     ORDER BY created_at, id LIMIT $3`,
    [owned, since, limit, after?.created_at ?? '-infinity', after?.id ?? ''],
  )) as Row[];
  return rows;
}

import type { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { loadConfig, type TenkConfig } from '@tenk/config';
import { parseOrderPlacedV1 } from '@tenk/contracts';
import { bucketOfCustomer, createScratchDatabases, isOrderId, ShardRouter, type ScratchDatabases } from '@tenk/database';
import { uniqueName } from '@tenk/testing';
import { PaymentSimProcess } from '../payments/testing/payment-sim-process';
import { MAX_ORDER_LINES } from './orders.dto';
import { ReservationSweeper } from './reservation-sweeper';
import { addProducts, createAdmin, isolatedEnv, ShopClient, startOrdersApp } from './testing/orders-test-app';

/**
 * POST /orders and the reads, against real PostgreSQL (a scratch catalog and four scratch
 * shards on the shared server, with the real replica), a real payment-sim process and the
 * api's own modules. The outbox relay is off here: outbox-relay.int-spec.ts covers Kafka.
 */
describe('orders', () => {
  let scratch: ScratchDatabases;
  let sim: PaymentSimProcess;
  let config: TenkConfig;
  let app: INestApplication;
  let url: string;
  let mug: string;
  let lamp: string;
  let scarce: string;
  let costly: string;
  let alice: ShopClient;
  let aliceId: string;
  let bob: ShopClient;
  let bobId: string;
  let admin: ShopClient;

  beforeAll(async () => {
    sim = await PaymentSimProcess.start();
    scratch = await createScratchDatabases(loadConfig(), {
      name: uniqueName('orders'),
      env: {
        TENK_PAYMENT_URL: sim.url,
        TENK_OUTBOX_RELAY: 'off',
        ...isolatedEnv('orders'),
        TENK_ORDER_LEASE: '2s',
        TENK_STOCK_HOLD: '5s',
        TENK_ORDER_DUPLICATE_WAIT: '20s',
        TENK_RESILIENCE_PAYMENTS_RETRIES: '0',
        TENK_RESILIENCE_PAYMENTS_TIMEOUT: '2s',
        TENK_RESILIENCE_PAYMENTS_MIN_CALLS: '100000',
      },
    });
    config = scratch.config;
    [mug, lamp, scarce, costly] = await addProducts(config, [
      { sku: 'MUG', priceCents: 1_250, stock: 1_000 },
      { sku: 'LAMP', priceCents: 4_999, stock: 1_000 },
      { sku: 'SCARCE', priceCents: 100, stock: 3 },
      { sku: 'COSTLY', priceCents: 600_000, stock: 100 },
    ]);
    ({ app, url } = await startOrdersApp(config));
    alice = new ShopClient(url);
    aliceId = (await alice.signUp(`${uniqueName('alice')}@example.com`)).id;
    bob = new ShopClient(url);
    bobId = (await bob.signUp(`${uniqueName('bob')}@example.com`)).id;
    const adminEmail = `${uniqueName('admin')}@example.com`;
    await createAdmin(config, adminEmail, 'admin password 123');
    admin = new ShopClient(url);
    await admin.signIn(adminEmail, 'admin password 123');
  });

  afterAll(async () => {
    await app?.close();
    await scratch?.drop();
    await sim?.stop();
  });

  /** POST /orders with a new Idempotency-Key, or the one given (null: none at all). */
  const place = (client: ShopClient, lines: unknown, key: string | null = randomUUID()) =>
    client.request('POST', '/orders', { body: { lines }, headers: key === null ? {} : { 'idempotency-key': key } });

  async function sql<T = Record<string, unknown>>(database: string, text: string, values: unknown[] = []): Promise<T[]> {
    const client = new Client({
      host: '127.0.0.1',
      port: config.postgres.primary.port,
      user: config.postgres.user,
      password: config.postgres.password,
      database,
    });
    await client.connect();
    try {
      return (await client.query(text, values)).rows as T[];
    } finally {
      await client.end();
    }
  }
  const catalogSql = <T = Record<string, unknown>>(text: string, values: unknown[] = []) => sql<T>(scratch.catalog, text, values);
  const stockOf = async (id: string) =>
    Number((await catalogSql<{ stock: number }>('SELECT stock FROM products WHERE id = $1', [id]))[0].stock);
  /** Rows of `table` for a customer summed over every shard. */
  async function countOnShards(table: 'orders' | 'idempotency_keys' | 'outbox', customerId: string): Promise<number> {
    let total = 0;
    for (const shard of scratch.shards) {
      const where = table === 'outbox' ? `payload->>'customerId' = $1` : 'customer_id = $1';
      total += Number((await sql<{ n: string }>(shard, `SELECT count(*) AS n FROM ${table} WHERE ${where}`, [customerId]))[0].n);
    }
    return total;
  }
  const shardOf = (customerId: string) =>
    app.get(ShardRouter).map.shardOf(bucketOfCustomer(customerId, config.dataRouting.sharding.buckets));

  it('places an order on the customer shard, with its lines, a committed stock hold and an OrderPlaced event', async () => {
    const before = await stockOf(mug);
    const response = await place(alice, [
      { productId: mug, quantity: 2 },
      { productId: lamp, quantity: 1 },
    ]);
    expect(response.status).toBe(201);
    const order = response.body;
    expect(isOrderId(String(order['id']))).toBe(true);
    expect(order).toMatchObject({
      status: 'placed',
      customerId: aliceId,
      currency: 'EUR',
      totalCents: 2 * 1_250 + 4_999,
      lines: [
        { productId: mug, sku: 'MUG', quantity: 2, unitPriceCents: 1_250, lineTotalCents: 2_500 },
        { productId: lamp, sku: 'LAMP', quantity: 1, unitPriceCents: 4_999, lineTotalCents: 4_999 },
      ],
    });
    expect(response.headers.get('location')).toBe(`/orders/${String(order['id'])}`);
    expect(await stockOf(mug)).toBe(before - 2);

    const [row] = await sql<{ bucket: number }>(shardOf(aliceId), 'SELECT bucket FROM orders WHERE id = $1', [order['id']]);
    expect(row.bucket).toBe(bucketOfCustomer(aliceId, config.dataRouting.sharding.buckets));
    const [hold] = await catalogSql<{ state: string; payment_authorization_id: string }>(
      'SELECT state, payment_authorization_id FROM stock_reservations WHERE order_id = $1',
      [order['id']],
    );
    expect(hold.state).toBe('committed');
    expect(hold.payment_authorization_id).toMatch(/^auth_/);
    const [event] = await sql<{ payload: unknown; message_key: string; topic: string; published_at: Date | null }>(
      shardOf(aliceId),
      'SELECT payload, message_key, topic, published_at FROM outbox WHERE message_key = $1',
      [order['id']],
    );
    expect(event.topic).toBe(config.messaging.kafka.ordersTopic);
    const placed = parseOrderPlacedV1(event.payload);
    expect(placed).toMatchObject({
      orderId: order['id'],
      customerId: aliceId,
      customerEmail: expect.stringContaining('@example.com'),
      totalCents: 7_499,
      currency: 'EUR',
    });
    expect(placed.lines).toHaveLength(2);

    const read = await alice.request('GET', `/orders/${String(order['id'])}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(order);
  });

  it('answers a repeat of the same request with the original order, once', async () => {
    const key = randomUUID();
    const lines = [{ productId: lamp, quantity: 3 }];
    const before = await stockOf(lamp);
    const first = await place(alice, lines, key);
    const again = await place(alice, lines, key);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await stockOf(lamp)).toBe(before - 3);
    expect((await sql(shardOf(aliceId), 'SELECT id FROM orders WHERE id = $1', [first.body['id']])).length).toBe(1);
  });

  it('refuses the same key with a different body (422), storing nothing new', async () => {
    const key = randomUUID();
    expect((await place(alice, [{ productId: mug, quantity: 1 }], key)).status).toBe(201);
    const orders = await countOnShards('orders', aliceId);
    const other = await place(alice, [{ productId: mug, quantity: 2 }], key);
    expect(other.status).toBe(422);
    expect(String(other.body['message'])).toMatch(/Idempotency-Key was already used with a different order/);
    expect(await countOnShards('orders', aliceId)).toBe(orders);
  });

  it('creates exactly one order from concurrent duplicates', async () => {
    const key = randomUUID();
    const lines = [{ productId: mug, quantity: 1 }];
    const stock = await stockOf(mug);
    const orders = await countOnShards('orders', bobId);
    const authorizations = await sim.authorizations();
    const answers = await Promise.all(Array.from({ length: 10 }, () => place(bob, lines, key)));
    expect(answers.map((answer) => answer.status)).toEqual(new Array(10).fill(201));
    expect(new Set(answers.map((answer) => answer.body['id'])).size).toBe(1);
    expect(answers.filter((answer) => answer.headers.get('idempotent-replayed') === 'true')).toHaveLength(9);
    expect(await countOnShards('orders', bobId)).toBe(orders + 1);
    expect(await stockOf(mug)).toBe(stock - 1);
    expect(await sim.authorizations()).toBe(authorizations + 1);
    expect(await catalogSql('SELECT id FROM stock_reservations WHERE order_id = $1', [answers[0].body['id']])).toHaveLength(1);
  });

  describe('rejects bad orders with a 4xx naming the problem, storing nothing', () => {
    const cases: Array<[string, () => unknown, RegExp, number?]> = [
      ['a quantity of 0', () => [{ productId: mug, quantity: 0 }], /quantity must be at least 1/],
      ['a negative quantity', () => [{ productId: mug, quantity: -3 }], /quantity must be at least 1/],
      ['a fractional quantity', () => [{ productId: mug, quantity: 1.5 }], /quantity must be an integer/],
      ['a quantity over the limit', () => [{ productId: mug, quantity: 101 }], /quantity must be at most 100/],
      [
        'too many lines',
        () => Array.from({ length: MAX_ORDER_LINES + 1 }, (_, i) => ({ productId: String(1_000 + i), quantity: 1 })),
        /at most 50 lines/,
      ],
      ['no lines', () => [], /at least one line/],
      ['an unknown product', () => [{ productId: '999999999', quantity: 1 }], /no product with id 999999999/],
      ['a malformed product id', () => [{ productId: 'mug', quantity: 1 }], /productId must be a product id/],
      [
        'the same product twice',
        () => [
          { productId: mug, quantity: 1 },
          { productId: mug, quantity: 2 },
        ],
        /appears in more than one line/,
      ],
      ['an unknown field', () => [{ productId: mug, quantity: 1, discount: 50 }], /property discount should not exist/],
    ];

    it.each(cases)('%s', async (_name, lines, message) => {
      const stock = await stockOf(mug);
      const [orders, keys] = [await countOnShards('orders', bobId), await countOnShards('idempotency_keys', bobId)];
      const holds = (await catalogSql('SELECT id FROM stock_reservations WHERE customer_id = $1', [bobId])).length;
      const response = await place(bob, lines());
      expect(response.status).toBe(400);
      expect(JSON.stringify(response.body['message'])).toMatch(message);
      expect(await stockOf(mug)).toBe(stock);
      expect(await countOnShards('orders', bobId)).toBe(orders);
      expect(await countOnShards('idempotency_keys', bobId)).toBe(keys);
      expect(await catalogSql('SELECT id FROM stock_reservations WHERE customer_id = $1', [bobId])).toHaveLength(holds);
    });

    it('a missing or unusable Idempotency-Key', async () => {
      for (const key of [null, 'short', 'x'.repeat(256)]) {
        const response = await place(bob, [{ productId: mug, quantity: 1 }], key);
        expect(response.status).toBe(400);
        expect(String(response.body['message'])).toMatch(/send an Idempotency-Key header/);
      }
    });

    it('no session', async () => {
      const response = await place(new ShopClient(url), [{ productId: mug, quantity: 1 }]);
      expect(response.status).toBe(401);
    });
  });

  it('refuses an order the stock cannot cover (409), giving nothing away', async () => {
    const response = await place(bob, [
      { productId: mug, quantity: 1 },
      { productId: scarce, quantity: 4 },
    ]);
    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({ productId: scarce, available: 3, requested: 4 });
    expect(await stockOf(scarce)).toBe(3);
    expect(await catalogSql(`SELECT id FROM stock_reservations WHERE customer_id = $1 AND state = 'held'`, [bobId])).toHaveLength(0);
  });

  it('answers a declined payment with 402 and gives the stock back', async () => {
    const key = randomUUID();
    const before = await stockOf(costly);
    const response = await place(bob, [{ productId: costly, quantity: 2 }], key);
    expect(response.status).toBe(402);
    expect(response.body['declineReason']).toBe('amount over the card limit');
    expect(await stockOf(costly)).toBe(before);
    expect(await sql(shardOf(bobId), 'SELECT key FROM idempotency_keys WHERE customer_id = $1 AND key = $2', [bobId, key])).toHaveLength(0);
  });

  it('answers 503 with Retry-After while payments are down, and the retry with the same key succeeds', async () => {
    const key = randomUUID();
    const lines = [{ productId: lamp, quantity: 1 }];
    const before = await stockOf(lamp);
    await sim.faults({ refuseConnections: true });
    try {
      const down = await place(bob, lines, key);
      expect(down.status).toBe(503);
      expect(Number(down.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(String(down.body['message'])).toMatch(/payments are unavailable/);
      expect(await stockOf(lamp)).toBe(before);
    } finally {
      await sim.faults('none');
    }
    const retried = await place(bob, lines, key);
    expect(retried.status).toBe(201);
    expect(await stockOf(lamp)).toBe(before - 1);
  });

  it('shows customers only their own orders', async () => {
    const mine = await place(alice, [{ productId: mug, quantity: 1 }]);
    const id = String(mine.body['id']);
    expect((await bob.request('GET', `/orders/${id}`)).status).toBe(404);
    expect((await bob.request('GET', `/orders/not-an-order`)).status).toBe(404);
    expect((await bob.request('GET', `/customers/${aliceId}/orders`)).status).toBe(404);
    expect((await admin.request('GET', `/orders/${id}`)).status).toBe(200);
    expect((await admin.request('GET', `/customers/${aliceId}/orders?limit=1`)).status).toBe(200);
  });

  it("pages through a customer's orders newest first, each once", async () => {
    const carol = new ShopClient(url);
    const carolId = (await carol.signUp(`${uniqueName('carol')}@example.com`)).id;
    const placed: string[] = [];
    for (let i = 0; i < 5; i++) placed.push(String((await place(carol, [{ productId: mug, quantity: 1 }])).body['id']));
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const query: string = after ? `?limit=2&after=${encodeURIComponent(after)}` : '?limit=2';
      const response = await carol.request('GET', `/customers/${carolId}/orders${query}`);
      expect(response.status).toBe(200);
      const items = response.body['items'] as Array<{ id: string }>;
      expect(items.length).toBeLessThanOrEqual(2);
      seen.push(...items.map((item) => item.id));
      after = response.body['next'] as string | null;
    } while (after);
    expect(seen).toEqual([...placed].reverse());
    expect((await carol.request('GET', `/customers/${carolId}/orders?after=garbage`)).status).toBe(400);
  });

  it('lists every order since a time across all shards for an admin, each exactly once', async () => {
    const since = new Date(Date.now() - 60_000).toISOString();
    const customers = await Promise.all(Array.from({ length: 6 }, async () => new ShopClient(url)));
    const ids = new Set<string>();
    for (const [index, customer] of customers.entries()) {
      await customer.signUp(`${uniqueName(`c${index}`)}@example.com`);
      for (let i = 0; i < 2; i++) ids.add(String((await place(customer, [{ productId: mug, quantity: 1 }])).body['id']));
    }
    const shardsUsed = new Set([...ids].map((id) => app.get(ShardRouter).forOrder(id)?.shard));
    expect(shardsUsed.size).toBeGreaterThan(1);
    const seen: string[] = [];
    let after: string | null = null;
    let previous = '';
    do {
      const query = `/orders?since=${encodeURIComponent(since)}&limit=3${after ? `&after=${encodeURIComponent(after)}` : ''}`;
      const response = await admin.request('GET', query);
      expect(response.status).toBe(200);
      for (const item of response.body['items'] as Array<{ id: string; createdAt: string }>) {
        const key = `${item.createdAt} ${item.id}`;
        expect(key > previous).toBe(true);
        previous = key;
        seen.push(item.id);
      }
      after = response.body['next'] as string | null;
    } while (after);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of ids) expect(seen).toContain(id);
    expect((await alice.request('GET', `/orders?since=${encodeURIComponent(since)}`)).status).toBe(403);
    expect((await admin.request('GET', '/orders?since=yesterday')).status).toBe(400);
  });

  it('settles the stock hold of a request that died before writing its order, and a retry places it once', async () => {
    const key = randomUUID();
    const before = await stockOf(lamp);
    // A request that died after taking its hold: paying fails without an answer, the process
    // "crashes" (we put the key back to in_progress with this attempt, as if the release never ran).
    await sim.faults({ refuseConnections: true });
    const dead = await place(bob, [{ productId: lamp, quantity: 2 }], key);
    await sim.faults('none');
    expect(dead.status).toBe(503);
    const [hold] = await catalogSql<{ id: string }>(`SELECT id FROM stock_reservations WHERE customer_id = $1 AND idempotency_key = $2`, [
      bobId,
      key,
    ]);
    await catalogSql(`UPDATE stock_reservations SET state = 'held', expires_at = now() - interval '1 second' WHERE id = $1`, [hold.id]);
    await catalogSql('UPDATE products SET stock = stock - 2 WHERE id = $1', [lamp]);
    await sql(
      shardOf(bobId),
      `UPDATE idempotency_keys SET attempt = $3, lease_until = now() + interval '1 hour' WHERE customer_id = $1 AND key = $2`,
      [bobId, key, hold.id],
    );
    expect(await stockOf(lamp)).toBe(before - 2);

    expect(await app.get(ReservationSweeper).sweep()).toBeGreaterThanOrEqual(1);
    expect(await stockOf(lamp)).toBe(before);
    const [settled] = await catalogSql<{ state: string }>('SELECT state FROM stock_reservations WHERE id = $1', [hold.id]);
    expect(settled.state).toBe('released');

    const retried = await place(bob, [{ productId: lamp, quantity: 2 }], key);
    expect(retried.status).toBe(201);
    expect(await stockOf(lamp)).toBe(before - 2);
    expect((await sql(shardOf(bobId), 'SELECT id FROM orders WHERE id = $1', [retried.body['id']])).length).toBe(1);
  });

  it('commits the hold of an order whose request died after writing it', async () => {
    const response = await place(bob, [{ productId: mug, quantity: 1 }]);
    const before = await stockOf(mug);
    await catalogSql(`UPDATE stock_reservations SET state = 'held', expires_at = now() - interval '1 second' WHERE order_id = $1`, [
      response.body['id'],
    ]);
    await app.get(ReservationSweeper).sweep();
    const [hold] = await catalogSql<{ state: string }>('SELECT state FROM stock_reservations WHERE order_id = $1', [response.body['id']]);
    expect(hold.state).toBe('committed');
    expect(await stockOf(mug)).toBe(before);
  });
});

import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { loadConfig } from '@tenk/config';
import { parseOrderPlacedV1, type OrderPlacedV1 } from '@tenk/contracts';
import { bucketOfCustomer, bucketOfOrderId } from '@tenk/database';
import { eventually, uniqueName } from '@tenk/testing';
import { paymentFaults } from '../support/control-planes';
import { E2E_ENV } from '../support/e2e-env';
import { ShopClient } from './access-support';

interface Order {
  id: string;
  status: string;
  customerId: string;
  totalCents: number;
  currency: string;
  lines: Array<{ productId: string; quantity: number; unitPriceCents: number }>;
  createdAt: string;
}

interface Product {
  id: string;
  priceCents: number;
  stock: number;
}

const config = loadConfig({ ...process.env, ...E2E_ENV });

/**
 * Orders through the balancer of the whole running shop (issue 4): the sharded order path,
 * the outbox to Kafka, read-your-writes on the catalog, and a payment outage.
 */
describe('orders through the shop', () => {
  let alice: ShopClient;
  let product: Product;
  const started = new Date(Date.now() - 1_000).toISOString();

  beforeAll(async () => {
    alice = await ShopClient.customer('orders');
    // A product well stocked and away from the cheapest ones other suites order.
    const page = await alice.request<{ items: Product[] }>('GET', '/products?limit=50&sort=newest&page=3');
    product = page.body.items.find((item) => item.stock > 200) as Product;
    expect(product).toBeDefined();
  });

  const place = (client: ShopClient, quantity: number, key = randomUUID(), headers: Record<string, string> = {}) =>
    client.request<Order>('POST', '/orders', {
      body: { lines: [{ productId: product.id, quantity }] },
      headers: { 'Idempotency-Key': key, ...headers },
    });

  it("places an order on the customer's shard and publishes its OrderPlaced to orders.events, keyed by the order id", async () => {
    const events = await OrdersEvents.open();
    try {
      const reply = await place(alice, 2);
      expect(reply.status).toBe(201);
      const order = reply.body;
      expect(order).toMatchObject({ status: 'placed', customerId: alice.user!.id, totalCents: 2 * product.priceCents, currency: 'EUR' });
      // The order id carries the customer's bucket: its shard is known from the id alone.
      expect(bucketOfOrderId(order.id)).toBe(bucketOfCustomer(alice.user!.id, config.dataRouting.sharding.buckets));
      const event = await events.find(order.id);
      expect(event.message.key).toBe(order.id);
      expect(event.payload).toMatchObject({
        type: 'OrderPlaced',
        version: 1,
        orderId: order.id,
        customerId: alice.user!.id,
        customerEmail: alice.user!.email,
        totalCents: order.totalCents,
      });
      expect(event.headers['event-id']).toBe(event.payload.eventId);
    } finally {
      await events.close();
    }
  });

  it('answers a retried request with the same order, and a reused key with another body with 422', async () => {
    const key = randomUUID();
    const first = await place(alice, 1, key);
    const again = await place(alice, 1, key);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await place(alice, 5, key)).status).toBe(422);
  });

  it('shows a client its own change at once: the stock right after its order', async () => {
    const before = (await alice.request<Product>('GET', `/products/${product.id}`)).body.stock;
    const reply = await place(alice, 3);
    expect(reply.status).toBe(201);
    // The write's WAL position, for clients without a cookie jar; the cookie carries it too.
    const lsn = reply.headers.get('x-tenk-lsn');
    expect(lsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    const after = await alice.request<Product>('GET', `/products/${product.id}`, { headers: { 'x-tenk-lsn': lsn! } });
    // Other suites may order this product too: it can only have gone further down.
    expect(after.body.stock).toBeLessThanOrEqual(before - 3);
  });

  it('lists every order placed since a time, across all shards, for an admin', async () => {
    const customers = await Promise.all(['o1', 'o2', 'o3', 'o4'].map((label) => ShopClient.customer(label)));
    const ids = new Set<string>();
    for (const customer of customers) ids.add((await place(customer, 1)).body.id);
    const admin = await ShopClient.admin();
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const page: { status: number; body: { items: Order[]; next: string | null } } = await admin.request(
        'GET',
        `/orders?since=${encodeURIComponent(started)}&limit=50${after ? `&after=${encodeURIComponent(after)}` : ''}`,
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((item) => item.id));
      after = page.body.next;
    } while (after);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of ids) expect(seen).toContain(id);
    expect((await alice.request('GET', `/orders?since=${encodeURIComponent(started)}`)).status).toBe(403);
  });

  it('answers 503 with Retry-After while the payment provider refuses connections, then places the order on retry with the same key', async () => {
    const key = randomUUID();
    const before = (await alice.request<Product>('GET', `/products/${product.id}`)).body.stock;
    await paymentFaults({ refuseConnections: true });
    try {
      const down = await place(alice, 1, key);
      expect(down.status).toBe(503);
      expect(Number(down.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await paymentFaults('none');
    }
    const ok = await eventually(
      async () => {
        const reply = await place(alice, 1, key);
        return reply.status === 201 ? reply : undefined;
      },
      'the retried order was never placed (is the payments breaker still open?)',
      30_000,
      500,
    );
    expect(ok.body.lines).toEqual([expect.objectContaining({ productId: product.id, quantity: 1 })]);
    const after = (
      await alice.request<Product>('GET', `/products/${product.id}`, { headers: { 'x-tenk-lsn': ok.headers.get('x-tenk-lsn')! } })
    ).body.stock;
    expect(after).toBeLessThanOrEqual(before - 1);
  });
});

/** A reader of the shop's orders topic from its start, under a group of its own. */
class OrdersEvents {
  readonly #seen = new Map<string, { message: { key: string | undefined }; headers: Record<string, string>; payload: OrderPlacedV1 }>();

  private constructor(private readonly consumer: Consumer) {}

  static async open(): Promise<OrdersEvents> {
    const kafka = new Kafka({ clientId: 'tenk-e2e-orders', brokers: config.kafka.brokers, logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: uniqueName('e2e-orders') });
    const events = new OrdersEvents(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic: config.messaging.kafka.ordersTopic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]));
        if (headers['event-type'] !== 'OrderPlaced' || !message.value) return;
        const payload = parseOrderPlacedV1(JSON.parse(message.value.toString()));
        events.#seen.set(payload.orderId, { message: { key: message.key?.toString() }, headers, payload });
      },
    });
    return events;
  }

  find(orderId: string) {
    return eventually(
      () => this.#seen.get(orderId),
      `OrderPlaced for ${orderId} never reached ${config.messaging.kafka.ordersTopic}`,
      60_000,
      100,
    );
  }

  async close(): Promise<void> {
    await this.consumer.disconnect();
  }
}

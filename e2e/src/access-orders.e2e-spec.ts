import { randomUUID } from 'node:crypto';
import { eventually } from '@tenk/testing';
import { describeWhenLanded, ShopClient, someProduct } from './access-support';

interface Order {
  id: string;
  status: string;
  totalCents: number;
  lines: Array<{ productId: string; quantity: number }>;
}

/**
 * Orders (issue 4) through the balancer: a customer sees only their own; another customer's
 * order id answers 404, exactly as an id that does not exist, so ids reveal nothing.
 */
describeWhenLanded('orders')('orders: each customer sees only their own', () => {
  let alice: ShopClient;
  let bob: ShopClient;
  let admin: ShopClient;
  let product: { id: string };
  let order: Order;

  beforeAll(async () => {
    [alice, bob, admin, product] = await Promise.all([
      ShopClient.customer('alice'),
      ShopClient.customer('bob'),
      ShopClient.admin(),
      someProduct(),
    ]);
    const placed = await alice.request<Order>('POST', '/orders', {
      body: { lines: [{ productId: product.id, quantity: 1 }] },
      headers: { 'Idempotency-Key': randomUUID() },
    });
    expect(placed.status).toBe(201);
    order = placed.body;
  });

  it('refuses an order from someone not signed in (401)', async () => {
    const reply = await new ShopClient().request('POST', '/orders', {
      body: { lines: [{ productId: product.id, quantity: 1 }] },
      headers: { 'Idempotency-Key': randomUUID() },
    });
    expect(reply.status).toBe(401);
  });

  it('makes one order for one Idempotency-Key, however often it is sent (a double click)', async () => {
    const list = async () =>
      (await alice.request<{ items: Order[] }>('GET', `/customers/${alice.user!.id}/orders?limit=100`)).body.items.map((item) => item.id);
    const before = await list();
    const key = randomUUID();
    const send = () =>
      alice.request<Order>('POST', '/orders', {
        body: { lines: [{ productId: product.id, quantity: 2 }] },
        headers: { 'Idempotency-Key': key },
      });
    const both = await Promise.all([send(), send()]);
    // The second of two concurrent sends may find the first still in progress (409, retry later).
    for (const reply of both) expect([201, 409]).toContain(reply.status);
    const placed = both.filter((reply) => reply.status === 201);
    expect(placed.length).toBeGreaterThanOrEqual(1);
    const id = placed[0]!.body.id;
    expect(new Set(placed.map((reply) => reply.body.id))).toEqual(new Set([id]));
    const replay = await eventually(async () => {
      const reply = await send();
      return reply.status === 201 ? reply : undefined;
    }, 'the repeated order never answered 201');
    expect(replay.body.id).toBe(id);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    const after = await list();
    expect(after.filter((orderId) => !before.includes(orderId))).toEqual([id]);
  });

  it('shows a customer their own order', async () => {
    const reply = await alice.request<Order>('GET', `/orders/${order.id}`);
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ id: order.id, lines: [{ productId: product.id, quantity: 1 }] });
  });

  it("answers 404 to another customer's order id, the same as to an id that does not exist", async () => {
    const theirs = await bob.request('GET', `/orders/${order.id}`);
    expect(theirs.status).toBe(404);
    expect(JSON.stringify(theirs.body)).not.toContain(alice.user!.id);
    expect(JSON.stringify(theirs.body)).not.toContain(String(order.totalCents));
    // An id of the same shape that nobody has: the same status.
    const missing = order.id.replace(/[0-9a-f](?=[^0-9a-f]*$)/i, (digit) => (digit === '0' ? '1' : '0'));
    expect((await bob.request('GET', `/orders/${missing}`)).status).toBe(404);
  });

  it("answers 404 to another customer's order list", async () => {
    expect((await bob.request('GET', `/customers/${alice.user!.id}/orders`)).status).toBe(404);
    const own = await alice.request<{ items: Order[] }>('GET', `/customers/${alice.user!.id}/orders`);
    expect(own.status).toBe(200);
    expect(own.body.items.map((item) => item.id)).toContain(order.id);
  });

  it('refuses reading and listing orders without a session (401)', async () => {
    const anonymous = new ShopClient();
    expect((await anonymous.request('GET', `/orders/${order.id}`)).status).toBe(401);
    expect((await anonymous.request('GET', `/customers/${alice.user!.id}/orders`)).status).toBe(401);
  });

  it('keeps the all-shards order feed for admins: 403 for a customer, 200 for an admin', async () => {
    const since = new Date(Date.now() - 3_600_000).toISOString();
    expect((await alice.request('GET', `/orders?since=${encodeURIComponent(since)}`)).status).toBe(403);
    expect((await new ShopClient().request('GET', `/orders?since=${encodeURIComponent(since)}`)).status).toBe(401);
    const feed = await admin.request<{ items: Order[] }>('GET', `/orders?since=${encodeURIComponent(since)}`);
    expect(feed.status).toBe(200);
  });

  it("lets an admin read any customer's order", async () => {
    expect((await admin.request('GET', `/orders/${order.id}`)).status).toBe(200);
  });
});

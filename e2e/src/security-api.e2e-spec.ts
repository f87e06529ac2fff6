/**
 * The api against a hostile client (issue 12's catalogue), through the balancer, as an
 * anonymous visitor, as a customer and as another customer: malformed JSON, wrong types, fields
 * nobody may set, bodies over the limit, traversal and injection in every path parameter,
 * malformed session cookies, someone else's orders. Each gets the 4xx it deserves with a message
 * that names the problem, nothing is stored, no internals leak, and the shop is healthy
 * afterwards. (Uploads: security-uploads; control ports: security-control-planes; the front
 * door's own parsing: the balancer's suites.)
 */
import { randomUUID } from 'node:crypto';
import { expectNoInternals, ShopClient, someProduct } from './access-support';
import { API } from './queues-support';

/** Every route of the api with a path parameter, the parameter written as `{}`. */
const PARAM_ROUTES: Array<[method: string, route: string]> = [
  ['GET', '/products/{}'],
  ['GET', '/images/products/{}'],
  ['GET', '/orders/{}'],
  ['GET', '/customers/{}/orders'],
  ['GET', '/videos/{}'],
  ['GET', '/videos/{}/files/master.mp4'],
  ['GET', '/videos/00000000-0000-4000-8000-000000000000/files/{}'],
  ['GET', '/videos/00000000-0000-4000-8000-000000000000/hls/{}'],
  ['DELETE', '/videos/{}'],
  ['GET', '/reports/{}'],
  ['GET', '/reports/{}/download'],
  ['PATCH', '/admin/users/{}'],
  ['DELETE', '/admin/users/{}'],
  ['PUT', '/admin/switches/{}'],
];

/** What a hostile client puts in a path parameter (percent-encoded, so it reaches the server as sent). */
const HOSTILE_PARAMS = [
  '..%2f..%2f..%2fpackage.json',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '..%5c..%5cpackage.json',
  '%252e%252e%252fpackage.json',
  '%27%20or%201%3d1--',
  '1%3bDROP%20TABLE%20orders',
  'x'.repeat(3000),
];

describe('security: the api against a hostile client', () => {
  let alice: ShopClient;
  let bob: ShopClient;
  let aliceOrder: { id: string };

  /** Alice's orders as she sees them: "nothing stored" is counted here. */
  const aliceOrders = async () =>
    (await alice.request<{ items: unknown[] }>('GET', `/customers/${alice.user!.id}/orders`)).body.items.length;

  beforeAll(async () => {
    alice = await ShopClient.customer('alice-hostile');
    bob = await ShopClient.customer('bob-hostile');
    const product = await someProduct();
    const placed = await alice.request<{ id: string }>('POST', '/orders', {
      body: { lines: [{ productId: product.id, quantity: 1 }] },
      headers: { 'idempotency-key': randomUUID() },
    });
    if (placed.status !== 201) throw new Error(`alice's order answered ${placed.status}: ${placed.text}`);
    aliceOrder = placed.body;
  });

  describe('bodies', () => {
    it.each([
      ['POST', '/auth/login', '{"email": '],
      ['POST', '/users', '{"email": "a@example.com", "name": "A", "password": '],
      ['POST', '/orders', '{"lines": [{"productId": "1", "quantity": 1},]}'],
      ['POST', '/reports', "{'type': 'my-orders'}"],
    ])('%s %s with malformed JSON: 400 naming it, nothing stored', async (method, route, body) => {
      const before = await aliceOrders();
      const reply = await alice.request<{ message: string }>(method, route, { body, headers: { 'idempotency-key': randomUUID() } });
      expect([reply.status, reply.body.message]).toEqual([400, expect.stringMatching(/^the request body is not valid JSON: /)]);
      expectNoInternals(reply.text);
      expect(await aliceOrders()).toBe(before);
    });

    it('a sign-up with wrong types: 400 naming every field', async () => {
      const reply = await new ShopClient().request<{ message: string[] }>('POST', '/users', {
        body: { email: 5, name: [], password: true },
      });
      expect(reply.status).toBe(400);
      const named = reply.body.message.join('\n');
      for (const field of ['email', 'name', 'password']) expect(named).toMatch(new RegExp(`^${field} `, 'm'));
    });

    it('an order with wrong types and impossible quantities: 400 naming the line and field, nothing stored', async () => {
      const before = await aliceOrders();
      for (const line of [
        { productId: 'x', quantity: 'lots' },
        { productId: 12, quantity: -5 },
        { productId: '12', quantity: 1e9 },
        { productId: '12', quantity: 1.5 },
      ]) {
        const reply = await alice.request<{ message: string[] }>('POST', '/orders', {
          body: { lines: [line] },
          headers: { 'idempotency-key': randomUUID() },
        });
        expect(reply.status).toBe(400);
        expect(reply.body.message.join('\n')).toMatch(/^lines\.0\.(productId|quantity) /m);
      }
      expect(await aliceOrders()).toBe(before);
    });

    it('fields nobody may set (a role, a prototype) are refused by name, and no account is made', async () => {
      const email = `mallory-${randomUUID()}@example.com`;
      const mallory = new ShopClient();
      const asAdmin = await mallory.request<{ message: string[] }>('POST', '/users', {
        body: `{"email":"${email}","name":"M","password":"a long enough password","role":"admin"}`,
      });
      expect([asAdmin.status, asAdmin.body.message]).toEqual([400, ['property role should not exist']]);
      const viaProto = await mallory.request<{ message: string[] }>('POST', '/users', {
        body: `{"email":"${email}","name":"M","password":"a long enough password","__proto__":{"role":"admin"}}`,
      });
      expect([viaProto.status, viaProto.body.message]).toEqual([
        400,
        'the request body is not valid JSON: a "__proto__" key is not accepted',
      ]);
      const signIn = await mallory.request('POST', '/auth/login', { body: { email, password: 'a long enough password' } });
      expect(signIn.status).toBe(401);
    });

    it('a body over the limit: 413 naming the limit, nothing stored', async () => {
      const before = await aliceOrders();
      const huge = JSON.stringify({ lines: [{ productId: '1', quantity: 1, note: 'x'.repeat(3_000_000) }] });
      const reply = await alice.request<{ message: string }>('POST', '/orders', {
        body: huge,
        headers: { 'idempotency-key': randomUUID() },
      });
      expect(reply.status).toBe(413);
      expect(reply.text).toMatch(/at most \d+ bytes|too large/i);
      expect(await aliceOrders()).toBe(before);
    });

    it('a form post where JSON is expected: 415 naming the content type', async () => {
      const reply = await alice.request<{ message: string }>('POST', '/orders', {
        raw: { data: Buffer.from('lines=1'), contentType: 'application/x-www-form-urlencoded' },
        headers: { 'idempotency-key': randomUUID() },
      });
      expect([reply.status, reply.body.message]).toEqual([415, expect.stringContaining('application/x-www-form-urlencoded')]);
    });
  });

  describe('path parameters', () => {
    const cases = PARAM_ROUTES.flatMap(([method, route]) => HOSTILE_PARAMS.map((param) => [method, route, param] as const));

    it.each(cases)('%s %s with %s: a 4xx, no file or row of anyone else', async (method, route, param) => {
      const reply = await bob.request(
        method,
        route.replace('{}', param),
        method === 'GET' || method === 'DELETE' ? {} : { body: { enabled: false, role: 'admin' } },
      );
      expect(reply.status).toBeGreaterThanOrEqual(400);
      expect(reply.status).toBeLessThan(500);
      expect(reply.text).not.toMatch(/"name":\s*"tenk"|root:x:0:0|"devDependencies"/);
      expectNoInternals(reply.text);
    });

    it('the catalog still answers after them (no row dropped)', async () => {
      const reply = await new ShopClient().request<{ items: unknown[] }>('GET', '/products?limit=5');
      expect([reply.status, reply.body.items.length]).toEqual([200, 5]);
    });
  });

  describe('sessions', () => {
    const malformed = [
      'tenk_session=%',
      'tenk_session=%E0%A4%A',
      'tenk_session=',
      'tenk_session="',
      `tenk_session=${'a'.repeat(4000)}`,
      'tenk_session=x; tenk_session=y',
      'tenk_session=../../etc/passwd',
    ];

    it.each(malformed)('cookie %s is no session: 401 on a private route, 200 on a public one', async (cookie) => {
      const visitor = new ShopClient();
      const me = await visitor.request<{ message: string }>('GET', '/auth/me', { headers: { cookie } });
      expect([me.status, me.body.message]).toEqual([401, expect.stringMatching(/^sign in first/)]);
      expect((await visitor.request('GET', '/products?limit=1', { headers: { cookie } })).status).toBe(200);
    });

    it("someone else's order is not found, nor their order list", async () => {
      const order = await bob.request<{ message: string }>('GET', `/orders/${aliceOrder.id}`);
      expect(order.status).toBe(404);
      const list = await bob.request('GET', `/customers/${alice.user!.id}/orders`);
      expect(list.status).toBe(404);
      expect(list.text).not.toContain(aliceOrder.id);
    });

    it('an anonymous visitor may not order (401) and a customer may not list every order (403)', async () => {
      const anonymous = await new ShopClient().request('POST', '/orders', {
        body: { lines: [{ productId: '1', quantity: 1 }] },
        headers: { 'idempotency-key': randomUUID() },
      });
      expect(anonymous.status).toBe(401);
      const everyone = await bob.request<{ message: string }>('GET', '/orders?since=2020-01-01T00:00:00Z');
      expect([everyone.status, everyone.body.message]).toEqual([403, 'this route needs the admin role']);
    });
  });

  it('leaves the shop healthy', async () => {
    expect((await fetch(`${API}/health/ready`)).status).toBe(200);
    expect((await alice.request('GET', `/orders/${aliceOrder.id}`)).status).toBe(200);
  });
});

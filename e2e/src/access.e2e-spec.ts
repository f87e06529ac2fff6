import { instanceUrl } from '../support/e2e-env';
import { expectNoInternals, newClientAddress, PASSWORD, runAdminCli, ShopClient, uniqueEmail } from './access-support';

/**
 * Who may do what, through the balancer of the running shop: accounts, sign-in limits, roles,
 * and error answers that never show internals. Orders, videos and reports have their own
 * access suites (access-orders, access-media).
 */
describe('accounts through the balancer', () => {
  it('signs up a customer with a session cookie scripts cannot read and other sites do not send', async () => {
    const client = new ShopClient();
    const email = uniqueEmail('signup');
    // An address of its own: sign-ups are limited per address for an hour, and every run's
    // un-addressed requests share the balancer's.
    const response = await fetch(`${client.base}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': client.client },
      body: JSON.stringify({ email, name: 'Ada', password: PASSWORD }),
    });
    expect(response.status).toBe(201);
    const cookie = response.headers.getSetCookie().find((line) => line.startsWith('tenk_session='));
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(await response.json()).toEqual({ id: expect.any(String), email, name: 'Ada', role: 'customer' });
  });

  it('knows nobody without a session: /auth/me is 401, /auth/session says null', async () => {
    const anonymous = new ShopClient();
    expect((await anonymous.request('GET', '/auth/me')).status).toBe(401);
    expect((await anonymous.request('GET', '/auth/session')).body).toEqual({ user: null });
  });

  it('signs in, and out: after logout the old cookie opens nothing', async () => {
    const customer = await ShopClient.customer('signin');
    const again = new ShopClient();
    expect((await again.request('POST', '/auth/login', { body: { email: customer.user!.email, password: PASSWORD } })).status).toBe(200);
    expect((await again.request('GET', '/auth/me')).body).toMatchObject({ email: customer.user!.email });
    const cookie = again.cookie;
    expect((await again.request('POST', '/auth/logout')).status).toBe(204);
    const replay = new ShopClient();
    replay.cookie = cookie;
    expect((await replay.request('GET', '/auth/me')).status).toBe(401);
  });

  it('names every problem of a bad sign-up in a 400', async () => {
    const reply = await new ShopClient().request('POST', '/users', { body: { email: 'nope', name: '', password: 'short', role: 'admin' } });
    expect(reply.status).toBe(400);
    expect(reply.body['message']).toEqual(
      expect.arrayContaining([
        'property role should not exist',
        'email must be an email address',
        'password must be 10 to 72 characters long',
      ]),
    );
  });

  it('makes no second account for an email in any letter case, and does not say so (201, no session)', async () => {
    const customer = await ShopClient.customer('dup');
    const eve = new ShopClient();
    const reply = await eve.request('POST', '/users', {
      body: { email: customer.user!.email.toUpperCase(), name: 'Eve', password: PASSWORD },
    });
    expect(reply.status).toBe(201);
    expect((await eve.request('GET', '/auth/me')).status).toBe(401);
    // The owner's password still works; Eve's never did.
    expect(
      (await new ShopClient().request('POST', '/auth/login', { body: { email: customer.user!.email, password: PASSWORD } })).status,
    ).toBe(200);
  });
});

describe('sign-in limits (429 with Retry-After)', () => {
  it('makes an address wait after 5 failed sign-ins on one account, even for the right password', async () => {
    const victim = await ShopClient.customer('victim');
    const attacker = new ShopClient(undefined, newClientAddress());
    for (let i = 0; i < 5; i += 1) {
      expect(
        (await attacker.request('POST', '/auth/login', { body: { email: victim.user!.email, password: `guess number ${i}` } })).status,
      ).toBe(401);
    }
    const blocked = await attacker.request('POST', '/auth/login', { body: { email: victim.user!.email, password: PASSWORD } });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(blocked.body['message']).toMatch(/too many failed sign-ins for this account from your address; try again in \d+ s/);
    // The session the owner already had keeps working, and other addresses may sign in.
    expect((await victim.request('GET', '/auth/me')).status).toBe(200);
    expect(
      (await new ShopClient().request('POST', '/auth/login', { body: { email: victim.user!.email, password: PASSWORD } })).status,
    ).toBe(200);
  });

  it('blocks an address after 20 failed sign-ins over many accounts, and only that address', async () => {
    const attacker = new ShopClient(undefined, newClientAddress());
    for (let i = 0; i < 20; i += 1) {
      expect(
        (await attacker.request('POST', '/auth/login', { body: { email: uniqueEmail('spray'), password: 'password123!' } })).status,
      ).toBe(401);
    }
    const customer = await ShopClient.customer('sprayed');
    const fromAttacker = await attacker.request('POST', '/auth/login', { body: { email: customer.user!.email, password: PASSWORD } });
    expect(fromAttacker.status).toBe(429);
    expect(fromAttacker.body['message']).toContain('from your address');
    expect(
      (await new ShopClient().request('POST', '/auth/login', { body: { email: customer.user!.email, password: PASSWORD } })).status,
    ).toBe(200);
  });
});

describe('roles: admin routes refuse customers (403) and anonymous callers (401)', () => {
  let customer: ShopClient;
  let admin: ShopClient;
  const anonymous = new ShopClient();

  beforeAll(async () => {
    [customer, admin] = await Promise.all([ShopClient.customer('roles'), ShopClient.admin()]);
  });

  // Every row has all three values: with fewer, Jest would pass its `done` callback as `body`.
  const ADMIN_ROUTES: Array<[string, string, unknown]> = [
    ['POST', '/products', { sku: 'E2E-NOPE', name: 'x', category: 'x', priceCents: 1, stock: 1 }],
    ['PATCH', '/products/1', { stock: 0 }],
    ['GET', '/admin/switches', undefined],
    ['PUT', '/admin/switches/cache', { on: false }],
  ];

  it.each(ADMIN_ROUTES)('%s %s: 401 anonymous, 403 customer', async (method, route, body) => {
    expect((await anonymous.request(method, route, { body })).status).toBe(401);
    const asCustomer = await customer.request(method, route, { body });
    expect(asCustomer.status).toBe(403);
    expect(asCustomer.body['message']).toContain('admin');
  });

  it('refuses every /admin route the api documents (shards, replica, switches, ...) and the queue board', async () => {
    // The OpenAPI document lives on an instance's own port (never public); the routes are tried through the balancer.
    const doc = (await (await fetch(instanceUrl('/docs-json'))).json()) as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(doc.paths)
      .filter(([route]) => route.startsWith('/admin'))
      .flatMap(([route, operations]) =>
        Object.keys(operations)
          .filter((method) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
          .map((method) => [method.toUpperCase(), route.replace(/\{[^}]+\}/g, 'x')] as const),
      );
    expect(routes.length).toBeGreaterThan(0);
    // Bull Board is Express middleware, not in the OpenAPI document.
    for (const [method, route] of [...routes, ['GET', '/admin/queues'] as const]) {
      const body = method === 'GET' || method === 'DELETE' ? undefined : {};
      expect([method, route, (await anonymous.request(method, route, { body })).status]).toEqual([method, route, 401]);
      expect([method, route, (await customer.request(method, route, { body })).status]).toEqual([method, route, 403]);
    }
    expect((await admin.request('GET', '/admin/queues')).status).toBe(200);
  });

  it('lets the admin made by the CLI through the same routes', async () => {
    expect(admin.user?.role).toBe('admin');
    expect((await admin.request('GET', '/admin/switches')).status).toBe(200);
    // An empty product is refused by validation (400): the role check let the admin through.
    const create = await admin.request('POST', '/products', { body: {} });
    expect(create.status).toBe(400);
  });
});

describe('the admin CLI (npm run admin)', () => {
  it('refuses a short password and an email already taken, and promotes an existing customer', async () => {
    const short = await runAdminCli(['create', '--email', uniqueEmail('short')], { TENK_ADMIN_PASSWORD: 'short' });
    expect(short.status).toBe(2);
    expect(short.stderr).toContain('10 to 72 characters');

    const customer = await ShopClient.customer('promoted');
    const taken = await runAdminCli(['create', '--email', customer.user!.email], { TENK_ADMIN_PASSWORD: PASSWORD });
    expect(taken.status).toBe(1);
    expect(taken.stderr).toContain('promote');

    const promoted = await runAdminCli(['promote', '--email', customer.user!.email]);
    expect(promoted.status).toBe(0);
    // The role applies from the next sign-in.
    const again = new ShopClient();
    await again.request('POST', '/auth/login', { body: { email: customer.user!.email, password: PASSWORD } });
    expect((await again.request('GET', '/admin/switches')).status).toBe(200);
    expect((await runAdminCli(['list'])).stdout).toContain(customer.user!.email);
  });

  it('reads the password from standard input when TENK_ADMIN_PASSWORD is not set', async () => {
    const email = uniqueEmail('stdin');
    const created = await runAdminCli(['create', '--email', email], {}, `${PASSWORD}\n`);
    expect(created.status).toBe(0);
    expect((await new ShopClient().request('POST', '/auth/login', { body: { email, password: PASSWORD } })).body).toMatchObject({
      role: 'admin',
    });
  });
});

describe('error answers never show internals', () => {
  const client = new ShopClient();

  it('answers malformed JSON with a 400 that says so', async () => {
    const reply = await client.request('POST', '/auth/login', { body: '{"email": "a@b.c", ' });
    expect(reply.status).toBe(400);
    expectNoInternals(reply.text);
  });

  it('answers a query the database refuses without SQL or a stack trace', async () => {
    // PostgreSQL refuses NUL bytes in text: whatever the status, no internals in the answer.
    const reply = await client.request('GET', '/products?search=%00');
    expect(reply.status).toBeGreaterThanOrEqual(400);
    expectNoInternals(reply.text);
    if (reply.status >= 500) expect(reply.body['requestId']).toEqual(expect.any(String));
  });

  it('answers an unknown route with a plain 404', async () => {
    const reply = await client.request('GET', '/no/such/route');
    expect(reply.status).toBe(404);
    expectNoInternals(reply.text);
  });
});

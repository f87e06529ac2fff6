import { createHash, randomInt } from 'node:crypto';
import Redis from 'ioredis';
import { Agent, request } from 'undici';
import { eventually } from '@tenk/testing';
import { shopUrl } from '../support/e2e-env';
import { redisConnection } from '@tenk/config';
import { config, mailsTo } from './queues-support';
import { newClientAddress, PASSWORD, ShopClient, uniqueEmail } from './access-support';

/**
 * Hostile requests at sign-in, sign-up and sessions, through the balancer of the running shop:
 * malformed cookies, forged cross-site requests, a stranger guessing a password, a sign-up
 * flood, probing which emails have accounts, sessions that outlive a role or an account, and
 * a client that forges X-Forwarded-For.
 */
describe('malformed session cookies are no session', () => {
  const MALFORMED: Array<[string, string]> = [
    ['%', 'tenk_session=%'],
    ['%E0%A4%A', 'tenk_session=%E0%A4%A'],
    ['huge', `tenk_session=${'x'.repeat(8_000)}`],
    ['many', [...Array.from({ length: 200 }, (_, i) => `c${i}=%${i}`), 'tenk_session=%'].join('; ')],
  ];

  it.each(MALFORMED)('%s: public routes answer, private routes 401, never a 500', async (_name, cookie) => {
    const client = new ShopClient();
    client.cookie = cookie;
    expect((await client.request('GET', '/products?limit=1')).status).toBe(200);
    expect(await client.request('GET', '/auth/session')).toMatchObject({ status: 200, body: { user: null } });
    expect((await client.request('GET', '/auth/me')).status).toBe(401);
    expect((await client.request('GET', '/orders')).status).toBe(401);
    expect((await client.request('POST', '/auth/logout')).status).toBe(204);
  });
});

describe('cross-site request forgery', () => {
  it('refuses a cross-site form sign-in (403) and a same-site one without Origin as a form (415)', async () => {
    const customer = await ShopClient.customer('csrf-form');
    const form = `email=${encodeURIComponent(customer.user!.email)}&password=${encodeURIComponent(PASSWORD)}`;
    const raw = { data: new TextEncoder().encode(form), contentType: 'application/x-www-form-urlencoded' };
    const crossSite = await new ShopClient().request('POST', '/auth/login', {
      raw,
      headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    });
    expect(crossSite.status).toBe(403);
    expect(crossSite.body['message']).toContain('refused a request from another site');
    expect(crossSite.headers.getSetCookie()).toEqual([]);
    const asForm = await new ShopClient().request('POST', '/auth/login', { raw });
    expect(asForm.status).toBe(415);
    expect(asForm.body['message']).toContain('takes a JSON body');
  });

  it("refuses cross-site JSON riding on the visitor's cookie (403), and lets the shop's own pages through", async () => {
    const customer = await ShopClient.customer('csrf-json');
    const forged = await customer.request('POST', '/auth/logout', {
      body: {},
      headers: { origin: 'http://127.0.0.1:18082', 'sec-fetch-site': 'same-site' },
    });
    expect(forged.status).toBe(403);
    expect((await customer.request('GET', '/auth/me')).status).toBe(200);
    const own = await customer.request('POST', '/auth/logout', { headers: { origin: shopUrl(), 'sec-fetch-site': 'same-origin' } });
    expect(own.status).toBe(204);
    expect((await customer.request('GET', '/auth/me')).status).toBe(401);
  });
});

describe('a stranger guessing a password', () => {
  it('slows the stranger after 5 failures, and the owner still signs in from their own address', async () => {
    const victim = await ShopClient.customer('guessed');
    const stranger = new ShopClient(undefined, newClientAddress());
    for (let i = 0; i < 5; i += 1)
      expect(
        (await stranger.request('POST', '/auth/login', { body: { email: victim.user!.email, password: `guess number ${i}` } })).status,
      ).toBe(401);
    const slowed = await stranger.request('POST', '/auth/login', { body: { email: victim.user!.email, password: PASSWORD } });
    expect(slowed.status).toBe(429);
    expect(Number(slowed.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(slowed.body['message']).toMatch(/^too many failed sign-ins for this account from your address; try again in \d+ s$/);
    const owner = new ShopClient();
    expect((await owner.request('POST', '/auth/login', { body: { email: victim.user!.email, password: PASSWORD } })).status).toBe(200);
  });
});

describe('sign-up', () => {
  it('refuses a flood from one address with a 429 naming the limit', async () => {
    const flooder = new ShopClient(undefined, newClientAddress());
    for (let i = 0; i < 10; i += 1)
      expect(
        (await flooder.request('POST', '/users', { body: { email: uniqueEmail('flood'), name: 'Flood', password: PASSWORD } })).status,
      ).toBe(201);
    const refused = await flooder.request('POST', '/users', { body: { email: uniqueEmail('flood'), name: 'Flood', password: PASSWORD } });
    expect(refused.status).toBe(429);
    expect(refused.body['message']).toMatch(
      /too many sign-ups from your address: at most 10 in 1 h \(TENK_SIGNUP_MAX_PER_CLIENT\); try again in \d+ s/,
    );
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('answers a taken email like a new one, signs nobody in, and mails the owner', async () => {
    const owner = await ShopClient.customer('taken');
    const probe = new ShopClient();
    const fresh = await new ShopClient().request('POST', '/users', {
      body: { email: uniqueEmail('fresh'), name: 'Eve', password: PASSWORD },
    });
    const taken = await probe.request('POST', '/users', {
      body: { email: owner.user!.email.toUpperCase(), name: 'Eve', password: PASSWORD },
    });
    expect(taken.status).toBe(fresh.status);
    expect(Object.keys(taken.body).sort()).toEqual(Object.keys(fresh.body).sort());
    expect(taken.body).toMatchObject({ email: owner.user!.email.toUpperCase(), name: 'Eve', role: 'customer' });
    expect(probe.cookie).toMatch(/^tenk_session=[A-Za-z0-9_-]{43}$/);
    expect((await probe.request('GET', '/auth/me')).status).toBe(401);
    const subject = 'Someone tried to sign up with your email at tenk';
    const mails = await eventually(
      async () => {
        const found = (await mailsTo(owner.user!.email)).filter((mail) => mail.subject === subject);
        return found.length > 0 ? found : undefined;
      },
      'no account-exists mail reached the SMTP sink',
      60_000,
      250,
    );
    expect(mails).toHaveLength(1);
  });
});

describe('sessions end when the account changes, and at their absolute lifetime', () => {
  let admin: ShopClient;
  let redis: Redis;

  beforeAll(async () => {
    admin = await ShopClient.admin();
    redis = new Redis({ ...redisConnection(config.redis.queue), keyPrefix: 'tenk:', lazyConnect: true });
    await redis.connect();
  });

  afterAll(async () => {
    redis.disconnect();
  });

  it("ends a demoted admin's sessions at once", async () => {
    const other = await ShopClient.admin();
    expect((await other.request('GET', '/admin/switches')).status).toBe(200);
    expect((await admin.request('PATCH', `/admin/users/${other.user!.id}`, { body: { role: 'customer' } })).status).toBe(200);
    expect((await other.request('GET', '/admin/switches')).status).toBe(401);
    expect((await other.request('GET', '/auth/me')).status).toBe(401);
  });

  it("ends a deleted customer's sessions at once", async () => {
    const customer = await ShopClient.customer('deleted');
    expect((await admin.request('DELETE', `/admin/users/${customer.user!.id}`)).status).toBe(204);
    expect((await customer.request('GET', '/auth/me')).status).toBe(401);
    expect(
      (await new ShopClient().request('POST', '/auth/login', { body: { email: customer.user!.email, password: PASSWORD } })).status,
    ).toBe(401);
  });

  it('ends a session in use once it is older than its absolute lifetime (30 days)', async () => {
    const customer = await ShopClient.customer('old-session');
    const key = `session:${createHash('sha256').update(customer.cookie!.split('=')[1]).digest('hex')}`;
    const session = JSON.parse((await redis.get(key))!) as { createdAt: number };
    // Made 30 days and a minute ago, used a second ago: idle it is not, too old it is.
    await redis.set(
      key,
      JSON.stringify({ ...session, createdAt: Date.now() - 30 * 86_400_000 - 60_000, touchedAt: Date.now() - 1_000 }),
      'KEEPTTL',
    );
    expect((await customer.request('GET', '/auth/me')).status).toBe(401);
  });
});

describe('X-Forwarded-For from a client that is not a trusted proxy', () => {
  it('is ignored: a client at its own loopback address is limited as itself, whatever it forges', async () => {
    // A peer the api does not trust (it trusts 127.0.0.1, the balancer and the suites), new each run.
    const peer = new Agent({ localAddress: `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}` });
    try {
      const statuses: number[] = [];
      let message = '';
      for (let i = 0; i < 11; i += 1) {
        const response = await request(shopUrl('/users'), {
          method: 'POST',
          dispatcher: peer,
          headers: { 'content-type': 'application/json', 'x-forwarded-for': newClientAddress() },
          body: JSON.stringify({ email: uniqueEmail('forged'), name: 'Forger', password: PASSWORD }),
        });
        statuses.push(response.statusCode);
        message = ((await response.body.json()) as { message: string }).message;
      }
      expect(statuses).toEqual([...new Array(10).fill(201), 429]);
      expect(message).toContain('too many sign-ups from your address');
    } finally {
      await peer.close();
    }
  });
});

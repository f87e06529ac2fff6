import { createHash } from 'node:crypto';
import { loadConfig } from '@tenk/config';
import { AuthRedis } from './auth-redis';
import { AuthApp, isolatedEnv, newClient, PASSWORD } from './testing/auth-test-app';

/**
 * How sessions end, against the real queue Redis and catalog database: idle and absolute
 * lifetimes, and at once when an admin changes a user's role or deletes the user.
 */
const IDLE_MS = 3_600_000;
const MAX_AGE_MS = 4 * 3_600_000;

describe('session lifetimes and endings', () => {
  let api: AuthApp;
  let redis: AuthRedis;

  beforeAll(async () => {
    api = await AuthApp.start(
      loadConfig({ ...process.env, ...isolatedEnv(), TENK_SESSION_IDLE_TIMEOUT: '1h', TENK_SESSION_MAX_AGE: '4h' }),
    );
    redis = api.app.get(AuthRedis);
  });

  afterAll(async () => {
    await api.close();
  });

  /** The session's Redis key (without the client's `tenk:` prefix) for a `tenk_session=...` cookie. */
  const keyOf = (cookie: string) => `session:${createHash('sha256').update(cookie.split('=')[1]).digest('hex')}`;

  /** Moves a session back in time, as if it had been made `agoMs` ago and last used then. */
  async function age(cookie: string, agoMs: number): Promise<void> {
    const key = keyOf(cookie);
    const session = JSON.parse((await redis.client.get(key))!) as { createdAt: number; touchedAt: number };
    await redis.client.set(key, JSON.stringify({ ...session, createdAt: Date.now() - agoMs, touchedAt: Date.now() - agoMs }), 'KEEPTTL');
  }

  it('keeps an idle session in Redis no longer than the idle timeout, and the cookie for the absolute lifetime', async () => {
    const { account, cookie } = await api.signedIn('customer');
    const ttl = await redis.client.pttl(keyOf(cookie));
    expect(ttl).toBeGreaterThan(IDLE_MS - 60_000);
    expect(ttl).toBeLessThanOrEqual(IDLE_MS);
    const login = await fetch(`${api.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': newClient() },
      body: JSON.stringify({ email: account.email, password: PASSWORD }),
    });
    expect(login.headers.getSetCookie()[0]).toContain(`Max-Age=${MAX_AGE_MS / 1000};`);
  });

  it('refreshes the idle timeout as the session is used, but never past its absolute end', async () => {
    const { cookie } = await api.signedIn('customer');
    // Made 3h 50min ago, last used as long ago: 10 minutes are left of its 4 hours.
    await age(cookie, MAX_AGE_MS - 600_000);
    expect((await api.request('GET', '/auth/me', { cookie })).status).toBe(200);
    const ttl = await redis.client.pttl(keyOf(cookie));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(600_000);
  });

  it('ends a session at its absolute lifetime however much it is used', async () => {
    const { cookie } = await api.signedIn('customer');
    await age(cookie, MAX_AGE_MS + 1_000);
    expect((await api.request('GET', '/auth/me', { cookie })).status).toBe(401);
    expect(await redis.client.exists(keyOf(cookie))).toBe(0);
  });

  it('ends every session of a demoted admin at once; their next sign-in is a customer', async () => {
    const { cookie: adminCookie } = await api.signedIn('admin');
    const { account: other, cookie: first } = await api.signedIn('admin');
    const second = await api.request('POST', '/auth/login', { body: { email: other.email, password: PASSWORD }, client: newClient() });
    expect((await api.request('GET', '/auth/me', { cookie: first })).body).toMatchObject({ role: 'admin' });

    const demoted = await api.request('PATCH', `/admin/users/${other.id}`, { body: { role: 'customer' }, cookie: adminCookie });
    expect(demoted).toMatchObject({ status: 200, body: { id: other.id, email: other.email, role: 'customer' } });
    for (const cookie of [first, second.cookie]) expect((await api.request('GET', '/auth/me', { cookie })).status).toBe(401);
    const again = await api.request('POST', '/auth/login', { body: { email: other.email, password: PASSWORD }, client: newClient() });
    expect(again.body).toMatchObject({ role: 'customer' });
    // The admin's own session is untouched.
    expect((await api.request('GET', '/auth/me', { cookie: adminCookie })).status).toBe(200);
  });

  it('ends the sessions of a deleted user at once, and the account cannot sign in again', async () => {
    const { cookie: adminCookie } = await api.signedIn('admin');
    const customer = await api.signup();
    expect((await api.request('DELETE', `/admin/users/${customer.id}`, { cookie: adminCookie })).status).toBe(204);
    expect((await api.request('GET', '/auth/me', { cookie: customer.cookie })).status).toBe(401);
    expect(
      (await api.request('POST', '/auth/login', { body: { email: customer.email, password: PASSWORD }, client: newClient() })).status,
    ).toBe(401);
    // Again: 404, and safe to repeat.
    expect((await api.request('DELETE', `/admin/users/${customer.id}`, { cookie: adminCookie })).status).toBe(404);
  });

  it('lets only admins change roles or delete, never their own, and names a bad role', async () => {
    const customer = await api.signup();
    const { account: admin, cookie: adminCookie } = await api.signedIn('admin');
    expect((await api.request('PATCH', `/admin/users/${admin.id}`, { body: { role: 'admin' }, cookie: customer.cookie })).status).toBe(403);
    expect((await api.request('DELETE', `/admin/users/${admin.id}`, { cookie: customer.cookie })).status).toBe(403);
    expect((await api.request('DELETE', `/admin/users/${admin.id}`)).status).toBe(401);
    const self = await api.request('PATCH', `/admin/users/${admin.id}`, { body: { role: 'customer' }, cookie: adminCookie });
    expect(self.status).toBe(403);
    expect(self.body['message']).toContain('your own role');
    expect((await api.request('DELETE', `/admin/users/${admin.id}`, { cookie: adminCookie })).status).toBe(403);
    const bad = await api.request('PATCH', `/admin/users/${customer.id}`, { body: { role: 'root' }, cookie: adminCookie });
    expect(bad.status).toBe(400);
    expect(bad.body['message']).toEqual(['role must be customer or admin']);
    expect((await api.request('PATCH', '/admin/users/not-an-id', { body: { role: 'admin' }, cookie: adminCookie })).status).toBe(404);
    // The customer was not changed by any of it.
    expect((await api.request('GET', '/auth/me', { cookie: customer.cookie })).body).toMatchObject({ role: 'customer' });
  });

  it("ends a promoted customer's sessions too: the next sign-in carries the new role", async () => {
    const { cookie: adminCookie } = await api.signedIn('admin');
    const customer = await api.signup();
    expect((await api.request('PATCH', `/admin/users/${customer.id}`, { body: { role: 'admin' }, cookie: adminCookie })).status).toBe(200);
    expect((await api.request('GET', '/auth/me', { cookie: customer.cookie })).status).toBe(401);
    expect(
      (await api.request('POST', '/auth/login', { body: { email: customer.email, password: PASSWORD }, client: newClient() })).body,
    ).toMatchObject({ role: 'admin' });
  });
});

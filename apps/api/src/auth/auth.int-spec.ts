import { INestApplication, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { User } from '@tenk/accounts';
import { ConfigModule, loadConfig, type TenkConfig } from '@tenk/config';
import { QUEUES } from '@tenk/contracts';
import { DatabaseModule } from '@tenk/database';
import { MessagingModule } from '@tenk/messaging';
import { ObservabilityModule } from '@tenk/observability';
import { randomBytes } from 'node:crypto';
import { eventually, TcpProxy, uniqueName } from '@tenk/testing';
import { configureHttp } from '../configure-http';
import { ErrorsModule } from '../errors/errors.module';
import { AuthModule } from './auth.module';

/**
 * Accounts over HTTP against the real catalog database and the real queue Redis: sign-up,
 * sign-in, the throttle, sessions that outlive the process, and Redis going away.
 */
const LIMITS = { TENK_LOGIN_MAX_FAILURES_PER_ACCOUNT: '3', TENK_LOGIN_MAX_FAILURES_PER_CLIENT: '6', TENK_LOGIN_WINDOW: '10m', TENK_LOG_LEVEL: 'silent' };
const PASSWORD = 'a long enough password';

interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
  cookie?: string;
}

class AuthApp {
  private constructor(
    readonly app: INestApplication,
    readonly url: string,
  ) {}

  static async start(config: TenkConfig): Promise<AuthApp> {
    @Module({
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule.forRoot({ service: 'auth-int-spec' }),
        DatabaseModule.forRoot({ processName: 'auth-int-spec', catalogEntities: [User], shardEntities: [] }),
        // Sign-up queues the welcome mail (apps/mailer sends it).
        MessagingModule.forRoot({ queues: [QUEUES.mail], kafka: false, queueRedisCritical: false }),
        ErrorsModule,
        AuthModule,
      ],
    })
    class AuthTestModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AuthTestModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    configureHttp(app);
    await app.listen(0, '127.0.0.1');
    return new AuthApp(app, await app.getUrl());
  }

  async request(method: string, path: string, options: { body?: unknown; cookie?: string; client?: string } = {}): Promise<Reply> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (options.cookie) headers['cookie'] = options.cookie;
    // The api trusts loopback proxies, so this is the client address it sees (as behind the balancer).
    if (options.client) headers['x-forwarded-for'] = options.client;
    const response = await fetch(`${this.url}${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
    const text = await response.text();
    const setCookie = response.headers.getSetCookie().find((line) => line.startsWith('tenk_session='));
    return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, cookie: setCookie?.split(';')[0] };
  }

  close(): Promise<void> {
    return this.app.close();
  }
}

const newEmail = () => `${uniqueName('auth')}@example.com`.toLowerCase();
/** A fresh address in the IPv6 documentation range, so per-client counters never collide between runs. */
const newClient = () => `2001:db8:${randomBytes(2).toString('hex')}:${randomBytes(2).toString('hex')}::${randomBytes(2).toString('hex')}`;

describe('accounts over HTTP (real PostgreSQL and Redis)', () => {
  let api: AuthApp;
  const config = loadConfig({ ...process.env, ...LIMITS });

  beforeAll(async () => {
    api = await AuthApp.start(config);
  });

  afterAll(async () => {
    await api.close();
  });

  async function signup(email = newEmail()): Promise<{ email: string; cookie: string; id: string }> {
    const reply = await api.request('POST', '/users', { body: { email, name: 'Ada Lovelace', password: PASSWORD } });
    expect(reply.status).toBe(201);
    return { email, cookie: reply.cookie!, id: String(reply.body['id']) };
  }

  it('signs up a customer, signed in at once with an HttpOnly, SameSite cookie, and never returns the hash', async () => {
    const email = newEmail();
    const response = await fetch(`${api.url}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, name: 'Ada', password: PASSWORD }) });
    expect(response.status).toBe(201);
    const cookie = response.headers.getSetCookie().find((line) => line.startsWith('tenk_session='))!;
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).toMatch(/; Path=\//);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({ id: expect.any(String), email, name: 'Ada', role: 'customer' });
    const me = await api.request('GET', '/auth/me', { cookie: cookie.split(';')[0] });
    expect(me.body).toMatchObject({ email, role: 'customer' });
  });

  it('refuses an email that is taken in another letter case with 409', async () => {
    const { email } = await signup();
    const again = await api.request('POST', '/users', { body: { email: email.toUpperCase(), name: 'Someone', password: PASSWORD } });
    expect(again.status).toBe(409);
    expect(again.body['message']).toContain('already exists');
  });

  it('names every problem of a bad sign-up in one 400, and stores nothing', async () => {
    const reply = await api.request('POST', '/users', { body: { email: 'not-an-email', name: 'a\u0000b', password: 'short', role: 'admin' } });
    expect(reply.status).toBe(400);
    expect(reply.body['message']).toEqual(
      expect.arrayContaining([
        'property role should not exist',
        'email must be an email address',
        'name must contain a visible character and no control characters',
        'password must be 10 to 72 characters long',
      ]),
    );
    // A valid email with one bad field: refused, and the email is still free afterwards.
    const email = newEmail();
    expect((await api.request('POST', '/users', { body: { email, name: ' ', password: PASSWORD } })).status).toBe(400);
    expect((await api.request('POST', '/users', { body: { email, name: 'Ada', password: PASSWORD } })).status).toBe(201);
  });

  it('refuses a password bcrypt would cut (over 72 bytes in UTF-8)', async () => {
    const reply = await api.request('POST', '/users', { body: { email: newEmail(), name: 'Ada', password: 'é'.repeat(40) } });
    expect(reply.status).toBe(400);
    expect(reply.body['message']).toContain('password must be at most 72 bytes in UTF-8');
  });

  it('signs in with the right password (any letter case of the email) and gives a new session each time', async () => {
    const { email, cookie: first } = await signup();
    const login = await api.request('POST', '/auth/login', { body: { email: email.toUpperCase(), password: PASSWORD }, cookie: first, client: newClient() });
    expect(login.status).toBe(200);
    expect(login.cookie).toBeDefined();
    expect(login.cookie).not.toBe(first);
    // The session the browser had before is ended: no session fixation.
    expect((await api.request('GET', '/auth/me', { cookie: first })).status).toBe(401);
    expect((await api.request('GET', '/auth/me', { cookie: login.cookie })).status).toBe(200);
  });

  it('answers a wrong password and an unknown email alike', async () => {
    const { email } = await signup();
    const wrong = await api.request('POST', '/auth/login', { body: { email, password: 'not the password' }, client: newClient() });
    const unknown = await api.request('POST', '/auth/login', { body: { email: newEmail(), password: 'not the password' }, client: newClient() });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body['message']).toBe(unknown.body['message']);
  });

  it('throttles an account after 3 failures, from any address, even with the right password (429 + Retry-After)', async () => {
    const { email } = await signup();
    for (let i = 0; i < 3; i += 1) expect((await api.request('POST', '/auth/login', { body: { email, password: 'wrong password' }, client: newClient() })).status).toBe(401);
    const blocked = await api.request('POST', '/auth/login', { body: { email, password: PASSWORD }, client: newClient() });
    expect(blocked.status).toBe(429);
    const retryAfter = Number(blocked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(600);
    expect(blocked.body).toMatchObject({ statusCode: 429, retryAfterSeconds: retryAfter });
    expect(blocked.body['message']).toContain('for this account');
  });

  it('forgives an account its failures once it signs in', async () => {
    const { email } = await signup();
    const client = newClient();
    for (let i = 0; i < 2; i += 1) expect((await api.request('POST', '/auth/login', { body: { email, password: 'wrong password' }, client })).status).toBe(401);
    expect((await api.request('POST', '/auth/login', { body: { email, password: PASSWORD }, client })).status).toBe(200);
    for (let i = 0; i < 3; i += 1) expect((await api.request('POST', '/auth/login', { body: { email, password: 'wrong password' }, client: newClient() })).status).toBe(401);
    expect((await api.request('POST', '/auth/login', { body: { email, password: 'wrong password' }, client: newClient() })).status).toBe(429);
  });

  it('throttles a client address after 6 failures over many accounts; other addresses are not affected', async () => {
    const client = newClient();
    for (let i = 0; i < 6; i += 1) expect((await api.request('POST', '/auth/login', { body: { email: newEmail(), password: 'wrong password' }, client })).status).toBe(401);
    const { email } = await signup();
    const blocked = await api.request('POST', '/auth/login', { body: { email, password: PASSWORD }, client });
    expect(blocked.status).toBe(429);
    expect(blocked.body['message']).toContain('from your address');
    expect((await api.request('POST', '/auth/login', { body: { email, password: PASSWORD }, client: newClient() })).status).toBe(200);
  });

  it('lets no more than the limit through when guesses arrive all at once', async () => {
    const { email } = await signup();
    const replies = await Promise.all(Array.from({ length: 12 }, () => api.request('POST', '/auth/login', { body: { email, password: 'wrong password' }, client: newClient() })));
    const statuses = replies.map((reply) => reply.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(3);
    expect(statuses.filter((status) => status === 429)).toHaveLength(9);
  });

  it('says who is signed in without an error for anonymous callers (GET /auth/session)', async () => {
    expect(await api.request('GET', '/auth/session')).toMatchObject({ status: 200, body: { user: null } });
    const { email, cookie } = await signup();
    expect(await api.request('GET', '/auth/session', { cookie })).toMatchObject({ status: 200, body: { user: { email, role: 'customer' } } });
  });

  it('ends the session on logout', async () => {
    const { cookie } = await signup();
    const logout = await api.request('POST', '/auth/logout', { cookie });
    expect(logout.status).toBe(204);
    expect((await api.request('GET', '/auth/me', { cookie })).status).toBe(401);
  });

  it('keeps sessions across a restart of the api (they live in Redis)', async () => {
    const { email, cookie } = await signup();
    await api.close();
    api = await AuthApp.start(config);
    expect(await api.request('GET', '/auth/me', { cookie })).toMatchObject({ status: 200, body: { email } });
  });
});

describe('accounts when the sessions Redis is unreachable', () => {
  let proxy: TcpProxy;
  let api: AuthApp;

  beforeAll(async () => {
    const base = loadConfig();
    proxy = await new TcpProxy({ host: base.redis.queue.host, port: base.redis.queue.port }).start();
    api = await AuthApp.start(loadConfig({ ...process.env, ...LIMITS, TENK_REDIS_QUEUE_PORT: String(proxy.port) }));
  });

  afterAll(async () => {
    await api.close();
    await proxy.stop();
  });

  it('answers sign-in and private routes with 503 + Retry-After, public ones as usual, and recovers', async () => {
    const email = newEmail();
    const signup = await api.request('POST', '/users', { body: { email, name: 'Ada', password: PASSWORD } });
    expect(signup.status).toBe(201);
    proxy.cut();
    const login = await api.request('POST', '/auth/login', { body: { email, password: PASSWORD }, client: newClient() });
    expect(login.status).toBe(503);
    expect(login.headers.get('retry-after')).toBe('5');
    expect(login.body['message']).toContain('try again shortly');
    const me = await api.request('GET', '/auth/me', { cookie: signup.cookie });
    expect(me.status).toBe(503);
    expect((await api.request('GET', '/auth/session', { cookie: signup.cookie })).body).toEqual({ user: null });
    proxy.restore();
    await eventually(async () => (await api.request('GET', '/auth/me', { cookie: signup.cookie })).status === 200, 'sessions did not come back after Redis did');
  });
});

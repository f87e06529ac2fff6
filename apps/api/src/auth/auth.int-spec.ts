import { loadConfig } from '@tenk/config';
import { ACCOUNT_EXISTS_MAIL_V1, MAIL_KEYS, QUEUES, WELCOME_MAIL_V1 } from '@tenk/contracts';
import { Queues } from '@tenk/messaging';
import { eventually, TcpProxy } from '@tenk/testing';
import { AuthApp, isolatedEnv, newClient, newEmail, PASSWORD } from './testing/auth-test-app';

/**
 * Accounts over HTTP against the real catalog database and the real queue Redis: sign-up,
 * sign-in, the limits on both, sessions that outlive the process, and Redis going away.
 */
const LIMITS = {
  TENK_LOGIN_MAX_FAILURES_PER_ACCOUNT: '3',
  TENK_LOGIN_MAX_FAILURES_PER_CLIENT: '6',
  TENK_LOGIN_WINDOW: '10m',
  TENK_SIGNUP_MAX_PER_CLIENT: '3',
  TENK_SIGNUP_WINDOW: '10m',
};

describe('accounts over HTTP (real PostgreSQL and Redis)', () => {
  let api: AuthApp;
  const config = loadConfig({ ...process.env, ...LIMITS, ...isolatedEnv() });
  const login = (email: string, password: string, client: string) =>
    api.request('POST', '/auth/login', { body: { email, password }, client });

  beforeAll(async () => {
    api = await AuthApp.start(config);
  });

  afterAll(async () => {
    await api.close();
  });

  it('signs up a customer, signed in at once with an HttpOnly, SameSite cookie, and never returns the hash', async () => {
    const email = newEmail();
    const response = await fetch(`${api.url}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': newClient() },
      body: JSON.stringify({ email, name: 'Ada', password: PASSWORD }),
    });
    expect(response.status).toBe(201);
    const cookie = response.headers.getSetCookie().find((line) => line.startsWith('tenk_session='))!;
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).toMatch(/; Path=\//);
    // The browser keeps it for the session's absolute lifetime (30 days by default).
    expect(cookie).toMatch(/; Max-Age=2592000;/);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({ id: expect.any(String), email, name: 'Ada', role: 'customer' });
    const me = await api.request('GET', '/auth/me', { cookie: cookie.split(';')[0] });
    expect(me.body).toMatchObject({ email, role: 'customer' });
  });

  it('answers a sign-up with a taken email (any letter case) as a new one, without a session, and mails the owner', async () => {
    const owner = await api.signup();
    const fresh = await api.request('POST', '/users', {
      body: { email: newEmail(), name: 'Someone', password: PASSWORD },
      client: newClient(),
    });
    const again = await api.request('POST', '/users', {
      body: { email: owner.email.toUpperCase(), name: 'Someone', password: 'another long password' },
      client: newClient(),
    });
    expect(again.status).toBe(fresh.status);
    expect(Object.keys(again.body).sort()).toEqual(Object.keys(fresh.body).sort());
    expect(again.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      email: owner.email.toUpperCase(),
      name: 'Someone',
      role: 'customer',
    });
    expect(again.body['id']).not.toBe(owner.id);
    expect(again.cookie).toMatch(/^tenk_session=[A-Za-z0-9_-]{43}$/);
    const attributes = (reply: typeof fresh) =>
      reply.headers
        .getSetCookie()[0]
        .replace(/^tenk_session=[^;]+/, '')
        .replace(/; Expires=[^;]+/, '');
    expect(attributes(again)).toBe(attributes(fresh));
    // The cookie opens nothing, and the owner's account and password are as they were.
    expect((await api.request('GET', '/auth/me', { cookie: again.cookie })).status).toBe(401);
    expect((await login(owner.email, PASSWORD, newClient())).status).toBe(200);
    // Its owner is told, through the mail queue; a new account gets its welcome mail.
    const queue = api.app.get(Queues).get(QUEUES.mail);
    const job = await queue.getJob(MAIL_KEYS.accountExists(owner.id, new Date()));
    expect(job?.name).toBe(ACCOUNT_EXISTS_MAIL_V1.name);
    expect(ACCOUNT_EXISTS_MAIL_V1.parse(job?.data)).toMatchObject({ userId: owner.id, email: owner.email, name: 'Ada Lovelace' });
    expect((await queue.getJob(MAIL_KEYS.welcome(String(fresh.body['id']))))?.name).toBe(WELCOME_MAIL_V1.name);
  });

  it('names every problem of a bad sign-up in one 400, and stores nothing', async () => {
    const reply = await api.request('POST', '/users', {
      body: { email: 'not-an-email', name: 'a\u0000b', password: 'short', role: 'admin' },
      client: newClient(),
    });
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
    const client = newClient();
    expect((await api.request('POST', '/users', { body: { email, name: ' ', password: PASSWORD }, client })).status).toBe(400);
    expect((await api.request('POST', '/users', { body: { email, name: 'Ada', password: PASSWORD }, client })).status).toBe(201);
    expect((await login(email, PASSWORD, newClient())).status).toBe(200);
  });

  it('refuses a password bcrypt would cut (over 72 bytes in UTF-8)', async () => {
    const reply = await api.request('POST', '/users', {
      body: { email: newEmail(), name: 'Ada', password: 'é'.repeat(40) },
      client: newClient(),
    });
    expect(reply.status).toBe(400);
    expect(reply.body['message']).toContain('password must be at most 72 bytes in UTF-8');
  });

  it('limits sign-ups per client address (429 naming the limit), not other addresses', async () => {
    const client = newClient();
    for (let i = 0; i < 3; i += 1)
      expect((await api.request('POST', '/users', { body: { email: newEmail(), name: 'Flood', password: PASSWORD }, client })).status).toBe(
        201,
      );
    const email = newEmail();
    const refused = await api.request('POST', '/users', { body: { email, name: 'Flood', password: PASSWORD }, client });
    expect(refused.status).toBe(429);
    expect(refused.body['message']).toMatch(
      /^too many sign-ups from your address: at most 3 in 10 min \(TENK_SIGNUP_MAX_PER_CLIENT\); try again in \d+ s$/,
    );
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.cookie).toBeUndefined();
    // Nothing was made: the email is free, and another address signs it up.
    expect((await api.request('POST', '/users', { body: { email, name: 'Flood', password: PASSWORD }, client: newClient() })).status).toBe(
      201,
    );
  });

  it('counts parallel sign-ups from one address before hashing: no more than the limit get through', async () => {
    const client = newClient();
    const replies = await Promise.all(
      Array.from({ length: 8 }, () =>
        api.request('POST', '/users', { body: { email: newEmail(), name: 'Burst', password: PASSWORD }, client }),
      ),
    );
    const statuses = replies.map((reply) => reply.status).sort();
    expect(statuses).toEqual([201, 201, 201, 429, 429, 429, 429, 429]);
  });

  it('signs in with the right password (any letter case of the email) and gives a new session each time', async () => {
    const { email, cookie: first } = await api.signup();
    const reply = await api.request('POST', '/auth/login', {
      body: { email: email.toUpperCase(), password: PASSWORD },
      cookie: first,
      client: newClient(),
    });
    expect(reply.status).toBe(200);
    expect(reply.cookie).toBeDefined();
    expect(reply.cookie).not.toBe(first);
    // The session the browser had before is ended: no session fixation.
    expect((await api.request('GET', '/auth/me', { cookie: first })).status).toBe(401);
    expect((await api.request('GET', '/auth/me', { cookie: reply.cookie })).status).toBe(200);
  });

  it('answers a wrong password and an unknown email alike', async () => {
    const { email } = await api.signup();
    const wrong = await login(email, 'not the password', newClient());
    const unknown = await login(newEmail(), 'not the password', newClient());
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body['message']).toBe(unknown.body['message']);
  });

  it('slows a stranger guessing an account after 3 failures, and lets the owner in from their own address', async () => {
    const { email } = await api.signup();
    const stranger = newClient();
    for (let i = 0; i < 3; i += 1) expect((await login(email, `guess ${i}`, stranger)).status).toBe(401);
    // The stranger now waits, even with the right password (429 + Retry-After)...
    const slowed = await login(email, PASSWORD, stranger);
    expect(slowed.status).toBe(429);
    const retryAfter = Number(slowed.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(slowed.body).toMatchObject({ statusCode: 429, retryAfterSeconds: retryAfter });
    expect(slowed.body['message']).toContain('for this account from your address');
    // ...while the owner, from another address, signs in at once.
    expect((await login(email, PASSWORD, newClient())).status).toBe(200);
  });

  it('doubles the wait with each further failure from that address', async () => {
    const { email } = await api.signup();
    const stranger = newClient();
    for (let i = 0; i < 3; i += 1) await login(email, `guess ${i}`, stranger);
    const first = await login(email, 'guess', stranger);
    expect(first.body['retryAfterSeconds']).toBe(1);
    // The wait lapses (1 s): one more guess is checked, and fails; the next wait is 2 s.
    await eventually(async () => (await login(email, 'guess 4', stranger)).status === 401, 'the first 1 s wait did not lapse', 5_000, 250);
    expect((await login(email, 'guess 5', stranger)).body['retryAfterSeconds']).toBe(2);
  });

  it('forgives an address its failures on an account once it signs in', async () => {
    const { email } = await api.signup();
    const client = newClient();
    for (let i = 0; i < 2; i += 1) expect((await login(email, 'wrong password', client)).status).toBe(401);
    expect((await login(email, PASSWORD, client)).status).toBe(200);
    for (let i = 0; i < 3; i += 1) expect((await login(email, 'wrong password', client)).status).toBe(401);
    expect((await login(email, 'wrong password', client)).status).toBe(429);
  });

  it('throttles a client address after 6 failures over many accounts; other addresses are not affected', async () => {
    const client = newClient();
    for (let i = 0; i < 6; i += 1) expect((await login(newEmail(), 'wrong password', client)).status).toBe(401);
    const { email } = await api.signup();
    const blocked = await login(email, PASSWORD, client);
    expect(blocked.status).toBe(429);
    expect(blocked.body['message']).toContain('from your address');
    expect(blocked.body['message']).not.toContain('for this account');
    expect((await login(email, PASSWORD, newClient())).status).toBe(200);
  });

  it('lets no more than the limit through when one address sends its guesses all at once', async () => {
    const { email } = await api.signup();
    const client = newClient();
    const replies = await Promise.all(Array.from({ length: 12 }, () => login(email, 'wrong password', client)));
    const statuses = replies.map((reply) => reply.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(3);
    expect(statuses.filter((status) => status === 429)).toHaveLength(9);
  });

  it('says who is signed in without an error for anonymous callers (GET /auth/session)', async () => {
    expect(await api.request('GET', '/auth/session')).toMatchObject({ status: 200, body: { user: null } });
    const { email, cookie } = await api.signup();
    expect(await api.request('GET', '/auth/session', { cookie })).toMatchObject({
      status: 200,
      body: { user: { email, role: 'customer' } },
    });
  });

  it('ends the session on logout', async () => {
    const { cookie } = await api.signup();
    const logout = await api.request('POST', '/auth/logout', { cookie });
    expect(logout.status).toBe(204);
    expect((await api.request('GET', '/auth/me', { cookie })).status).toBe(401);
  });

  it('keeps sessions across a restart of the api (they live in Redis)', async () => {
    const { email, cookie } = await api.signup();
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
    api = await AuthApp.start(loadConfig({ ...process.env, ...LIMITS, ...isolatedEnv(), TENK_REDIS_QUEUE_PORT: String(proxy.port) }));
  });

  afterAll(async () => {
    await api.close();
    await proxy.stop();
  });

  it('answers sign-in, sign-up and private routes with 503 + Retry-After, public ones as usual, and recovers', async () => {
    const { email, cookie } = await api.signup();
    proxy.cut();
    const login = await api.request('POST', '/auth/login', { body: { email, password: PASSWORD }, client: newClient() });
    expect(login.status).toBe(503);
    expect(login.headers.get('retry-after')).toBe('5');
    expect(login.body['message']).toContain('try again shortly');
    const signup = await api.request('POST', '/users', {
      body: { email: newEmail(), name: 'Ada', password: PASSWORD },
      client: newClient(),
    });
    expect(signup.status).toBe(503);
    expect(signup.body['message']).toContain('sign-up is unavailable right now');
    const me = await api.request('GET', '/auth/me', { cookie });
    expect(me.status).toBe(503);
    expect((await api.request('GET', '/auth/session', { cookie })).body).toEqual({ user: null });
    proxy.restore();
    await eventually(
      async () => (await api.request('GET', '/auth/me', { cookie })).status === 200,
      'sessions did not come back after Redis did',
    );
  });
});

import { randomInt } from 'node:crypto';
import { loadConfig } from '@tenk/config';
import { Agent, request } from 'undici';
import { AuthApp, isolatedEnv, newClient, newEmail, PASSWORD } from './testing/auth-test-app';

/**
 * Hostile requests at the api's front door, over the real stack: cookies that are not what a
 * browser would send, sign-in and state changes forged by other sites, and X-Forwarded-For from
 * a peer that is not a trusted proxy.
 */
describe('malformed session cookies are no session (never a 500)', () => {
  let api: AuthApp;

  beforeAll(async () => {
    api = await AuthApp.start(loadConfig({ ...process.env, ...isolatedEnv() }));
  });

  afterAll(async () => {
    await api.close();
  });

  const MALFORMED: Array<[string, string]> = [
    ['a lone percent sign', 'tenk_session=%'],
    ['a cut percent-encoded character', 'tenk_session=%E0%A4%A'],
    ['a huge value', `tenk_session=${'A'.repeat(8_000)}`],
    ['many cookies, the session one malformed', [...Array.from({ length: 300 }, (_, i) => `c${i}=%${i}`), 'tenk_session=%zz'].join('; ')],
    ['a value with quotes and spaces', 'tenk_session="abc def"'],
  ];

  it.each(MALFORMED)('%s: public routes answer, private ones say 401, sign-out works', async (_name, cookie) => {
    expect(await api.request('GET', '/auth/session', { cookie })).toMatchObject({ status: 200, body: { user: null } });
    const me = await api.request('GET', '/auth/me', { cookie });
    expect(me.status).toBe(401);
    expect(me.body['message']).toContain('sign in first');
    expect((await api.request('POST', '/auth/logout', { cookie })).status).toBe(204);
  });

  it('finds a valid session among many other cookies', async () => {
    const { email, cookie } = await api.signup();
    const many = [...Array.from({ length: 300 }, (_, i) => `c${i}=%E0%A4%A${i}`), cookie, 'z=1'].join('; ');
    expect(await api.request('GET', '/auth/me', { cookie: many })).toMatchObject({ status: 200, body: { email } });
  });
});

describe('cross-site request forgery (CsrfGuard)', () => {
  let api: AuthApp;
  const shop = 'http://127.0.0.1:8080';
  const config = loadConfig({ ...process.env, ...isolatedEnv(), TENK_PUBLIC_URL: shop });

  beforeAll(async () => {
    api = await AuthApp.start(config);
  });

  afterAll(async () => {
    await api.close();
  });

  it('refuses a sign-in posted as a form (415): it needs JSON, which other sites cannot send', async () => {
    const { email } = await api.signup();
    const form = await api.request('POST', '/auth/login', {
      raw: {
        text: `email=${encodeURIComponent(email)}&password=${encodeURIComponent(PASSWORD)}`,
        contentType: 'application/x-www-form-urlencoded',
      },
      client: newClient(),
    });
    expect(form.status).toBe(415);
    expect(form.body['message']).toBe(
      'POST /auth/login takes a JSON body (Content-Type: application/json); got Content-Type application/x-www-form-urlencoded',
    );
    expect(form.cookie).toBeUndefined();
    // JSON smuggled in a text/plain form (enctype="text/plain") is refused too.
    const plain = await api.request('POST', '/auth/login', {
      raw: { text: JSON.stringify({ email, password: PASSWORD }), contentType: 'text/plain' },
      client: newClient(),
    });
    expect(plain.status).toBe(415);
    expect(plain.body['message']).toContain('got Content-Type text/plain');
    const untyped = await api.request('POST', '/users', {
      raw: { text: JSON.stringify({ email: newEmail(), name: 'Eve', password: PASSWORD }) },
      client: newClient(),
    });
    expect(untyped.status).toBe(415);
    expect(untyped.body['message']).toContain('got a body without Content-Type');
  });

  it("refuses a cross-site form sign-in (403): the browser's Origin names another site", async () => {
    const { email } = await api.signup();
    const reply = await api.request('POST', '/auth/login', {
      raw: {
        text: `email=${encodeURIComponent(email)}&password=${encodeURIComponent(PASSWORD)}`,
        contentType: 'application/x-www-form-urlencoded',
      },
      headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      client: newClient(),
    });
    expect(reply.status).toBe(403);
    expect(reply.body['message']).toContain(
      'refused a request from another site (Sec-Fetch-Site: cross-site, Origin: https://evil.example)',
    );
    expect(reply.cookie).toBeUndefined();
  });

  it("refuses cross-site JSON that rides on the visitor's cookie (403), from another site or another port of this host", async () => {
    const { cookie } = await api.signup();
    const forged: Array<Record<string, string>> = [
      { origin: 'https://evil.example' },
      { origin: 'http://127.0.0.1:8082', 'sec-fetch-site': 'same-site' },
      { origin: 'null' },
    ];
    for (const headers of forged) {
      const reply = await api.request('POST', '/auth/logout', { body: {}, cookie, headers });
      expect([headers.origin, reply.status]).toEqual([headers.origin, 403]);
    }
    // The session is still there: nothing was done.
    expect((await api.request('GET', '/auth/me', { cookie })).status).toBe(200);
  });

  it("lets the shop's own pages through: its public origin, or what the browser calls same-origin", async () => {
    const { email } = await api.signup();
    const own = await api.request('POST', '/auth/login', {
      body: { email, password: PASSWORD },
      headers: { origin: shop, 'sec-fetch-site': 'same-origin' },
      client: newClient(),
    });
    expect(own.status).toBe(200);
    const localhost = await api.request('POST', '/auth/logout', {
      cookie: own.cookie,
      headers: { origin: 'http://localhost:8080', 'sec-fetch-site': 'same-origin' },
    });
    expect(localhost.status).toBe(204);
    // curl and other clients that are not browsers send neither header.
    expect((await api.request('POST', '/auth/login', { body: { email, password: PASSWORD }, client: newClient() })).status).toBe(200);
  });

  it('checks GET requests for neither (they change nothing)', async () => {
    const reply = await api.request('GET', '/auth/session', {
      headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    });
    expect(reply.status).toBe(200);
  });
});

describe('X-Forwarded-For from peers that are not trusted proxies (TENK_TRUSTED_PROXIES)', () => {
  let api: AuthApp;
  // A peer at another loopback address (new each run, so its count starts at 0): not the trusted
  // proxy (127.0.0.1), so what it forwards is its own say-so.
  const untrusted = new Agent({ localAddress: `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}` });
  const trusted = new Agent({ localAddress: '127.0.0.1' });

  beforeAll(async () => {
    api = await AuthApp.start(
      loadConfig({ ...process.env, ...isolatedEnv(), TENK_TRUSTED_PROXIES: '127.0.0.1', TENK_LOGIN_MAX_FAILURES_PER_CLIENT: '4' }),
    );
  });

  afterAll(async () => {
    await api.close();
    await Promise.all([untrusted.close(), trusted.close()]);
  });

  async function failLogin(agent: Agent, forwardedFor: string): Promise<{ status: number; message: string }> {
    const response = await request(`${api.url}/auth/login`, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
      body: JSON.stringify({ email: newEmail(), password: 'wrong password' }),
    });
    const body = (await response.body.json()) as { message: string };
    return { status: response.statusCode, message: body.message };
  }

  it('counts an untrusted peer as the client whatever X-Forwarded-For it sends', async () => {
    // Each try claims another address; all are counted on the peer's, which is limited after 4.
    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1) statuses.push((await failLogin(untrusted, newClient())).status);
    expect(statuses).toEqual([401, 401, 401, 401, 429]);
    expect((await failLogin(untrusted, newClient())).message).toContain('from your address');
  });

  it('believes the trusted proxy: the addresses it forwards are the clients', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) statuses.push((await failLogin(trusted, newClient())).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401]);
  });
});

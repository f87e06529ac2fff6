import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LoadRunner } from './load-runner';
import { RunStats, type EndpointStats } from './stats';
import { Target } from './target';
import { retryAfterMs, type Behaviour, type RequestPlan, type ResponseView } from './virtual-user';

/** A tiny shop: sign-up sets a session cookie, /me needs it, /busy answers 503 + Retry-After, /orders does not exist. */
function handler(req: IncomingMessage, res: ServerResponse): void {
  const cookie = req.headers.cookie ?? '';
  if (req.method === 'POST' && req.url === '/users') {
    res.writeHead(201, { 'set-cookie': 'tenk_session=abc123; Path=/; HttpOnly', 'content-type': 'application/json' });
    res.end('{"id":"1"}');
  } else if (req.url === '/me') {
    res.writeHead(cookie.includes('tenk_session=abc123') ? 200 : 401);
    res.end(cookie);
  } else if (req.url === '/busy') {
    res.writeHead(503, { 'retry-after': '2' });
    res.end('{"message":"payment provider unavailable"}');
  } else if (req.url === '/sold-out') {
    res.writeHead(409, { 'content-type': 'application/json' });
    res.end('{"message":"only 0 left"}');
  } else if (req.url === '/orders') {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"message":"Cannot POST /orders","error":"Not Found","statusCode":404}');
  } else {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  }
}

/** Signs up, checks the cookie comes back, then cycles through a fixed list of requests. */
class ScriptedUser implements Behaviour {
  step = 0;
  readonly seen: { path: string; status: number; body: string | null; retryAfterMs: number | null; notDeployed: boolean }[] = [];
  constructor(private readonly endpoints: Record<string, EndpointStats>) {}

  plan(request: RequestPlan): void {
    const script: [string, 'GET' | 'POST', string][] = [
      ['signUp', 'POST', '/users'],
      ['me', 'GET', '/me'],
      ['busy', 'GET', '/busy'],
      ['orders', 'POST', '/orders'],
    ];
    const [endpoint, method, path] = script[Math.min(this.step, script.length - 1)];
    request.endpoint = this.endpoints[endpoint];
    request.method = method;
    request.path = path;
    request.readBody = path === '/me';
    if (method === 'POST') {
      request.body = '{}';
      request.contentType = 'application/json';
    }
  }

  after(response: ResponseView): number {
    this.seen.push({
      path: ['/users', '/me', '/busy', '/orders'][Math.min(this.step, 3)],
      status: response.status,
      body: response.body,
      retryAfterMs: response.retryAfterMs,
      notDeployed: response.notDeployed,
    });
    this.step += 1;
    return 5;
  }
}

describe('LoadRunner with virtual users over real HTTP', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('ramps users in, keeps cookies per user, reads Retry-After, and notes endpoints that are not deployed', async () => {
    const stats = new RunStats();
    const endpoints = {
      signUp: stats.endpoint('POST /users'),
      me: stats.endpoint('GET /me'),
      busy: stats.endpoint('GET /busy'),
      orders: stats.endpoint('POST /orders', true),
    };
    const target = new Target({ url, clientIps: 4, connectionsPerIp: 1, timeoutMs: 5_000 });
    const users: ScriptedUser[] = [];
    const phases: string[] = [];
    let windows = 0;
    const runner = new LoadRunner({
      vus: 20,
      rampMs: 100,
      holdMs: 1_200,
      drainMs: 2_000,
      stats,
      dispatcherFor: (id) => target.dispatcherFor(id),
      behaviour: (id) => (users[id] = new ScriptedUser(endpoints)),
      onPhase: (phase) => phases.push(phase),
      onWindow: () => (windows += 1),
    });
    const timing = await runner.run();
    await target.close();

    expect(phases).toEqual(['ramp', 'hold', 'drain']);
    expect(windows).toBeGreaterThanOrEqual(1);
    expect(timing.timeline.length).toBe(windows);
    expect(timing.abandoned).toBe(0);
    expect(runner.activeUsers).toBe(0);
    for (const user of users) {
      expect(user.seen[0]).toMatchObject({ path: '/users', status: 201 });
      // The cookie set by sign-up came back on the next request (the server echoes it).
      expect(user.seen[1]).toMatchObject({ path: '/me', status: 200, body: 'tenk_session=abc123' });
      expect(user.seen[2]).toMatchObject({ path: '/busy', status: 503, retryAfterMs: 2_000 });
      expect(user.seen[3]).toMatchObject({ path: '/orders', status: 404, notDeployed: true });
    }
    expect(endpoints.signUp.all.requests).toBe(20);
    expect(endpoints.me.all.errors).toBe(0);
    expect(endpoints.busy.all.errors).toBe(endpoints.busy.all.requests);
    expect(endpoints.busy.samples.get('503')).toContain('payment provider unavailable');
    // Not deployed: counted apart, not as requests or errors.
    expect(endpoints.orders.deployed).toBe(false);
    expect(endpoints.orders.all.requests).toBe(0);
    expect(endpoints.orders.all.notDeployed).toBeGreaterThan(0);
    expect(stats.all.errors).toBe(endpoints.busy.all.errors);
    expect(stats.hold.requests).toBeGreaterThan(0);
    expect(stats.hold.requests).toBeLessThanOrEqual(stats.all.requests);
  });

  it('counts a status the request accepts (409 sold out) under its status, not as an error', async () => {
    const stats = new RunStats();
    const endpoint = stats.endpoint('POST /sold-out');
    const target = new Target({ url, clientIps: 1, connectionsPerIp: 1, timeoutMs: 2_000 });
    const runner = new LoadRunner({
      vus: 2,
      rampMs: 0,
      holdMs: 200,
      drainMs: 1_000,
      stats,
      dispatcherFor: (id) => target.dispatcherFor(id),
      behaviour: () => ({
        plan: (request: RequestPlan) => {
          request.endpoint = endpoint;
          request.method = 'POST';
          request.path = '/sold-out';
          request.acceptedStatus = 409;
        },
        after: () => 50,
      }),
    });
    await runner.run();
    await target.close();
    expect(endpoint.all.requests).toBeGreaterThan(0);
    expect(endpoint.all.statuses.get('409')).toBe(endpoint.all.requests);
    expect(endpoint.all.errors).toBe(0);
  });

  it('counts a refused connection as an error with its code', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const stats = new RunStats();
    const endpoint = stats.endpoint('GET /');
    const target = new Target({ url: `http://127.0.0.1:${port}`, clientIps: 1, connectionsPerIp: 1, timeoutMs: 2_000 });
    const runner = new LoadRunner({
      vus: 2,
      rampMs: 0,
      holdMs: 200,
      drainMs: 1_000,
      stats,
      dispatcherFor: (id) => target.dispatcherFor(id),
      behaviour: () => ({
        plan: (request: RequestPlan) => {
          request.endpoint = endpoint;
        },
        after: () => 50,
      }),
    });
    await runner.run();
    await target.close();
    expect(endpoint.all.errors).toBeGreaterThan(0);
    expect([...endpoint.all.statuses.keys()]).toEqual(['ECONNREFUSED']);
  });
});

describe('retryAfterMs', () => {
  it('reads seconds and HTTP dates', () => {
    expect(retryAfterMs('3')).toBe(3_000);
    expect(retryAfterMs(new Date(Date.now() + 10_000).toUTCString())).toBeGreaterThan(8_000);
    expect(retryAfterMs('soon')).toBeNull();
  });
});

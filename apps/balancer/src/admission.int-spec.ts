import type { ServerResponse } from 'node:http';
import { Agent, request } from 'undici';
import { eventually, reply, startBalancer, startUpstream, type RunningBalancer, type TestUpstream } from './testing/harness';

/**
 * Admission control against real sockets: max_conns bounds what each peer has in flight,
 * `queue N timeout=T` holds a bounded number of requests for a bounded time, and the rest are
 * refused at once with 503 + Retry-After.
 */

const agents: Agent[] = [];
const running: Array<{ close(): Promise<void> }> = [];

function client(): Agent {
  const agent = new Agent({ connections: 64, keepAliveTimeout: 1000 });
  agents.push(agent);
  return agent;
}

async function get(
  url: string,
  dispatcher = client(),
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const response = await request(url, { dispatcher });
  return { status: response.statusCode, headers: response.headers, body: await response.body.text() };
}

async function balancerWith(text: string): Promise<RunningBalancer> {
  const started = await startBalancer(`admin_listen 127.0.0.1:0;\naccess_log off;\n${text}`);
  running.push(started);
  return started;
}

/** An upstream that holds every request until release() and records the most it held at once. */
async function holdingUpstream(name: string): Promise<TestUpstream & { held: ServerResponse[]; most: number; release(): void }> {
  const upstream = Object.assign(await startUpstream(name), { held: [] as ServerResponse[], most: 0, release: () => undefined as void });
  running.push(upstream);
  upstream.handle = (req, res) => {
    req.resume();
    upstream.held.push(res);
    upstream.most = Math.max(upstream.most, upstream.held.length);
    res.on('close', () => upstream.held.splice(upstream.held.indexOf(res), 1));
  };
  upstream.release = () => {
    for (const res of [...upstream.held]) reply(res, 200, { upstream: name });
  };
  return upstream;
}

interface Admission {
  inFlight: number;
  limit: number;
  queue: { waiting: number; admitted: number; full: number; timedOut: number } | null;
  refusedAtCapacity: number;
}

async function admissionOf(lb: RunningBalancer): Promise<Admission> {
  const status = JSON.parse((await get(`${lb.adminUrl}/status`)).body) as { upstreams: Array<{ admission: Admission }> };
  return status.upstreams[0].admission;
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((item) => item.close()));
  await Promise.all(agents.splice(0).map((agent) => agent.close()));
});

describe('admission control', () => {
  it('max_conns without a queue: a peer never has more in flight, the excess gets 503 + Retry-After at once', async () => {
    const a = await holdingUpstream('a');
    const lb = await balancerWith(`
      upstream api { server ${a.address} max_conns=2; keepalive 8; }
      server { listen 127.0.0.1:0; location / { proxy_pass http://api; } }`);
    const agent = client();
    const first = [get(`${lb.url}/1`, agent), get(`${lb.url}/2`, agent)];
    await eventually(() => a.held.length === 2, 5000, 'two requests held by the peer');
    const refused = await get(`${lb.url}/3`, agent);
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.body).toMatch(/every server of upstream "api" is at max_conns/);
    expect(await admissionOf(lb)).toMatchObject({ inFlight: 2, limit: 2, queue: null, refusedAtCapacity: 1 });
    a.release();
    expect((await Promise.all(first)).map((r) => r.status)).toEqual([200, 200]);
    expect(a.most).toBe(2);
    // The slots are free again.
    const fourth = get(`${lb.url}/4`, agent);
    await eventually(() => a.held.length === 1, 5000, 'the next request reached the peer');
    a.release();
    expect((await fourth).status).toBe(200);
  });

  it('queue N: waiters get the next free slot in order, one more than N is refused, the peers never exceed max_conns', async () => {
    const [a, b] = [await holdingUpstream('a'), await holdingUpstream('b')];
    const lb = await balancerWith(`
      upstream api { least_conn; server ${a.address} max_conns=2; server ${b.address} max_conns=2; queue 3 timeout=10s; keepalive 8; }
      server { listen 127.0.0.1:0; location / { proxy_pass http://api; } }`);
    const agent = client();
    const inFlight = [1, 2, 3, 4].map((i) => get(`${lb.url}/busy/${i}`, agent));
    await eventually(() => a.held.length + b.held.length === 4, 5000, 'four requests held');
    const queued = [5, 6, 7].map((i) => get(`${lb.url}/queued/${i}`, agent));
    await eventually(async () => (await admissionOf(lb)).queue?.waiting === 3, 5000, 'three waiting');
    const overflow = await get(`${lb.url}/overflow`, agent);
    expect(overflow.status).toBe(503);
    expect(overflow.headers['retry-after']).toBe('1');
    expect(overflow.body).toMatch(/3 requests are already waiting/);
    // Each finished request lets one waiter through; nobody exceeds max_conns.
    a.release();
    b.release();
    await eventually(() => a.held.length + b.held.length === 3, 5000, 'the three waiters reached the peers');
    a.release();
    b.release();
    const answers = await Promise.all([...inFlight, ...queued]);
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200, 200]);
    expect(a.most).toBeLessThanOrEqual(2);
    expect(b.most).toBeLessThanOrEqual(2);
    expect(await admissionOf(lb)).toMatchObject({ inFlight: 0, limit: 4, queue: { waiting: 0, admitted: 3, full: 1, timedOut: 0 } });
  });

  it('queue timeout=T: a request that waited T gets 503 + Retry-After; /metrics shows in-flight, queued and refused', async () => {
    const a = await holdingUpstream('a');
    const lb = await balancerWith(`
      upstream api { server ${a.address} max_conns=1; queue 10 timeout=300ms; }
      server { listen 127.0.0.1:0; location / { proxy_pass http://api; } }`);
    const agent = client();
    const held = get(`${lb.url}/held`, agent);
    await eventually(() => a.held.length === 1, 5000, 'one request held');
    const waited = await get(`${lb.url}/waits`, agent);
    expect(waited.status).toBe(503);
    expect(waited.headers['retry-after']).toBe('1');
    expect(waited.body).toMatch(/no server of upstream "api" became free within the queue's timeout \(300 ms\)/);
    const metrics = (await get(`${lb.adminUrl}/metrics`)).body;
    expect(metrics).toMatch(/tenk_balancer_upstream_in_flight\{upstream="api"\} 1/);
    expect(metrics).toMatch(/tenk_balancer_upstream_queued\{upstream="api"\} 0/);
    expect(metrics).toMatch(/tenk_balancer_upstream_refused_total\{upstream="api",reason="queue_timeout"\} 1/);
    expect(metrics).toMatch(/tenk_balancer_rejected_total\{reason="at_capacity"\} 1/);
    a.release();
    expect((await held).status).toBe(200);
  });

  it('a peer at max_conns is skipped for another peer, and not counted as failing', async () => {
    const a = await holdingUpstream('a');
    const b = await startUpstream('b');
    running.push(b);
    const lb = await balancerWith(`
      upstream api { server ${a.address} max_conns=1; server ${b.address} max_conns=10; }
      server { listen 127.0.0.1:0; location / { proxy_pass http://api; } }`);
    const agent = client();
    const held = get(`${lb.url}/held`, agent);
    await eventually(() => a.held.length === 1, 5000, 'a holds one');
    const others = await Promise.all([1, 2, 3, 4].map((i) => get(`${lb.url}/x${i}`, agent)));
    expect(others.map((r) => r.headers['x-upstream'])).toEqual(['b', 'b', 'b', 'b']);
    a.release();
    expect((await held).status).toBe(200);
  });
});

import { Agent, request } from 'undici';
import { reply, startBalancer, startUpstream, type RunningBalancer, type TestUpstream } from './testing/harness';

/**
 * Passive health under load, against real upstream sockets: nginx's quick recovery when every
 * peer is out, and slowness (read timeouts, 503 + Retry-After) not taking a peer out.
 */

const agents: Agent[] = [];
const running: Array<{ close(): Promise<void> }> = [];

async function get(
  url: string,
  init: Parameters<typeof request>[1] = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const agent = new Agent({ connections: 8, keepAliveTimeout: 1000 });
  agents.push(agent);
  const response = await request(url, { dispatcher: agent, ...init });
  return { status: response.statusCode, headers: response.headers, body: await response.body.text() };
}

async function balancerWith(text: string): Promise<RunningBalancer> {
  const started = await startBalancer(`admin_listen 127.0.0.1:0;\naccess_log off;\n${text}`);
  running.push(started);
  return started;
}

async function upstreams(...names: string[]): Promise<TestUpstream[]> {
  const started = await Promise.all(names.map((name) => startUpstream(name)));
  running.push(...started);
  return started;
}

interface PeerView {
  address: string;
  state: string;
  failures: number;
  busyAnswers: number;
  readTimeouts: number;
}

async function peersOf(lb: RunningBalancer): Promise<{ recoveries: number; peers: PeerView[] }> {
  const status = JSON.parse((await get(`${lb.adminUrl}/status`)).body) as { upstreams: Array<{ recoveries: number; peers: PeerView[] }> };
  return status.upstreams[0];
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((item) => item.close()));
  await Promise.all(agents.splice(0).map((agent) => agent.close()));
});

const ALGORITHMS = [
  '',
  'least_conn;',
  'ip_hash;',
  'hash $request_uri;',
  'hash $request_uri consistent;',
  'random;',
  'random two least_conn;',
];

describe('every peer failed (nginx: "mark them as live for quick recovery")', () => {
  it.each(ALGORITHMS)('upstream { %s }: only the request that finds no peer gets a 502, the next one is served', async (method) => {
    const [a, b] = await upstreams('a', 'b');
    const lb = await balancerWith(`
      upstream api { ${method} server ${a.address} max_fails=1 fail_timeout=60s; server ${b.address} max_fails=1 fail_timeout=60s; }
      server { listen 127.0.0.1:0; location / { proxy_pass http://api; } }`);
    // Both peers drop every connection: the first request fails on both, and both are out.
    const drop = (req: { socket: { destroy(): void } }) => req.socket.destroy();
    a.handle = drop;
    b.handle = drop;
    for (let i = 0; i < 4 && (await peersOf(lb)).peers.some((peer) => peer.state !== 'failing'); i++)
      expect((await get(`${lb.url}/x`)).status).toBe(502);
    expect((await peersOf(lb)).peers.map((peer) => peer.state)).toEqual(['failing', 'failing']);

    // The peers are fine again (they were only slow, say). Within fail_timeout (60 s), the
    // next request finds nobody and gets the 502; it resets the counts, so the one after is
    // served. Without the reset every request would be refused for a minute.
    a.handle = (_req, res) => reply(res, 200, { upstream: 'a' });
    b.handle = (_req, res) => reply(res, 200, { upstream: 'b' });
    const refused = await get(`${lb.url}/y`);
    expect(refused.status).toBe(502);
    expect(refused.body).toMatch(/no live peer in upstream "api"/);
    const after = await Promise.all([1, 2, 3, 4].map((i) => get(`${lb.url}/z${i}`)));
    expect(after.map((response) => response.status)).toEqual([200, 200, 200, 200]);
    const view = await peersOf(lb);
    expect(view.recoveries).toBe(1);
    expect(view.peers.map((peer) => peer.state)).toEqual(['up', 'up']);
  });

  it('resets backups too, as nginx does after trying them', async () => {
    const [a, spare] = await upstreams('a', 'spare');
    const lb = await balancerWith(`
      upstream api { server ${a.address} max_fails=1 fail_timeout=60s; server ${spare.address} backup max_fails=1 fail_timeout=60s; }
      server { listen 127.0.0.1:0; location / { proxy_pass http://api; } }`);
    a.handle = (req) => req.socket.destroy();
    spare.handle = (req) => req.socket.destroy();
    expect((await get(`${lb.url}/x`)).status).toBe(502);
    spare.handle = (_req, res) => reply(res, 200, { upstream: 'spare' });
    expect((await get(`${lb.url}/x`)).status).toBe(502);
    const served = await get(`${lb.url}/x`);
    // a still drops connections: the retry goes to the backup, which serves.
    expect(served.status).toBe(200);
    expect(served.headers['x-upstream']).toBe('spare');
  });
});

describe('slow is not dead', () => {
  it('a read timeout is retried elsewhere but does not take the peer out (fail_on_read_timeout off, the default)', async () => {
    const [a, b] = await upstreams('a', 'b');
    const lb = await balancerWith(`
      upstream api { server ${a.address} max_fails=1 fail_timeout=60s; server ${b.address} max_fails=1 fail_timeout=60s; }
      server { listen 127.0.0.1:0; location / { proxy_read_timeout 300ms; proxy_pass http://api; } }`);
    a.handle = (_req, res) => setTimeout(() => reply(res, 200, { upstream: 'a' }), 1500);
    const slow = await get(`${lb.url}/x`);
    expect(slow.status).toBe(200);
    expect(slow.headers['x-upstream']).toBe('b');
    const [peerA] = (await peersOf(lb)).peers;
    expect(peerA.readTimeouts).toBe(1);
    expect(peerA.failures).toBe(0);
    expect(peerA.state).toBe('up');
  });

  it('fail_on_read_timeout on counts a read timeout as nginx does', async () => {
    const [a, b] = await upstreams('a', 'b');
    const lb = await balancerWith(`
      upstream api { fail_on_read_timeout on; server ${a.address} max_fails=1 fail_timeout=60s; server ${b.address}; }
      server { listen 127.0.0.1:0; location / { proxy_read_timeout 300ms; proxy_pass http://api; } }`);
    a.handle = (_req, res) => setTimeout(() => reply(res, 200, { upstream: 'a' }), 1500);
    expect((await get(`${lb.url}/x`)).status).toBe(200);
    const [peerA] = (await peersOf(lb)).peers;
    expect(peerA.failures).toBe(1);
    expect(peerA.state).toBe('failing');
  });

  it('a 503 with Retry-After is "busy": GETs go to another peer, a POST gets the 503, the peer is never taken out', async () => {
    const [a, b] = await upstreams('a', 'b');
    const lb = await balancerWith(`
      upstream api { server ${a.address} max_fails=1 fail_timeout=60s; server ${b.address} max_fails=1 fail_timeout=60s; }
      server { listen 127.0.0.1:0; location / { proxy_next_upstream error timeout http_503; proxy_pass http://api; } }`);
    a.handle = (req, res) => {
      req.resume();
      res.writeHead(503, { 'retry-after': '1', 'content-type': 'text/plain', 'x-upstream': 'a' });
      res.end('busy\n');
    };
    const gets = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => get(`${lb.url}/products/${i}`)));
    expect(gets.map((response) => response.status)).toEqual([200, 200, 200, 200, 200, 200]);
    // A POST that reached a busy peer is not repeated: the client gets the 503 and its Retry-After.
    const posts = await Promise.all(
      [1, 2].map(() => get(`${lb.url}/orders`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })),
    );
    const refused = posts.find((response) => response.status === 503);
    expect(refused?.headers['retry-after']).toBe('1');
    const [peerA] = (await peersOf(lb)).peers;
    expect(peerA.busyAnswers).toBeGreaterThanOrEqual(4);
    expect(peerA.failures).toBe(0);
    expect(peerA.state).toBe('up');
  });

  it('a 503 without Retry-After still counts, as nginx counts it where http_503 is listed', async () => {
    const [a, b] = await upstreams('a', 'b');
    const lb = await balancerWith(`
      upstream api { server ${a.address} max_fails=1 fail_timeout=60s; server ${b.address}; }
      server { listen 127.0.0.1:0; location / { proxy_next_upstream error timeout http_503; proxy_pass http://api; } }`);
    a.handle = (_req, res) => reply(res, 503, { upstream: 'a' });
    expect((await get(`${lb.url}/x`)).status).toBe(200);
    const [peerA] = (await peersOf(lb)).peers;
    expect(peerA.failures).toBe(1);
    expect(peerA.state).toBe('failing');
  });
});

import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import { controlHeaders } from '@tenk/control-plane';
import { eventually, reply, startBalancer, startUpstream, type RunningBalancer, type TestUpstream } from './testing/harness';

const agents: Agent[] = [];
/** A client with its own connection pool (closed after the tests). */
function client(): Agent {
  const agent = new Agent({ connections: 32, keepAliveTimeout: 1000 });
  agents.push(agent);
  return agent;
}

async function get(
  url: string,
  init: Parameters<typeof request>[1] = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const response = await request(url, { dispatcher: client(), ...init });
  return { status: response.statusCode, headers: response.headers, body: await response.body.text() };
}

const running: Array<{ close(): Promise<void> }> = [];
async function balancerWith(text: string): Promise<RunningBalancer> {
  const started = await startBalancer(text);
  running.push(started);
  return started;
}
async function upstreams(...names: string[]): Promise<TestUpstream[]> {
  const started = await Promise.all(names.map((name) => startUpstream(name)));
  running.push(...started);
  return started;
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((item) => item.close()));
  await Promise.all(agents.splice(0).map((agent) => agent.close()));
});

const server = (lines: string) => `admin_listen 127.0.0.1:0;\naccess_log off;\n${lines}`;

describe('proxying', () => {
  it('forwards requests with X-Forwarded-For/-Proto and X-Request-Id, and balances round-robin', async () => {
    const [a, b] = await upstreams('a', 'b');
    const lb = await balancerWith(
      server(`
      upstream api { server ${a.address}; server ${b.address}; keepalive 8; }
      server { listen 127.0.0.1:0; location / { proxy_pass http://api; } location /v1/ { proxy_pass http://api/internal/; } }`),
    );
    const seen = [];
    for (let i = 0; i < 4; i++)
      seen.push(
        (await get(`${lb.url}/products?i=${i}`, { headers: { 'x-forwarded-for': '203.0.113.5', 'x-request-id': 'trace-123' } })).headers[
          'x-upstream'
        ],
      );
    expect(seen).toEqual(['a', 'b', 'a', 'b']);
    const forwarded = a.requests[0];
    expect(forwarded.url).toBe('/products?i=0');
    expect(forwarded.headers['x-forwarded-for']).toBe('203.0.113.5, 127.0.0.1');
    expect(forwarded.headers['x-forwarded-proto']).toBe('http');
    expect(forwarded.headers['x-request-id']).toBe('trace-123');
    expect(forwarded.headers.host).toBe('api');

    await get(`${lb.url}/v1/orders/7?x=1`);
    expect([...a.requests, ...b.requests].map((r) => r.url)).toContain('/internal/orders/7?x=1');
    // A new id when the client sends none (or one that is not an id).
    await get(`${lb.url}/x`, { headers: { 'x-request-id': 'bad id\twith tab' } });
    const last = [...a.requests, ...b.requests].pop()!;
    expect(last.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
  });

  it('gives $server_port the port the listener was bound to (listen port 0)', async () => {
    const [a] = await upstreams('a');
    const lb = await balancerWith(
      server(`
      upstream api { server ${a.address}; }
      server { listen 127.0.0.1:0; location / { proxy_set_header X-Server-Port $server_port; proxy_pass http://api; } }`),
    );
    expect((await get(`${lb.url}/port`)).status).toBe(200);
    expect(a.requests[0].headers['x-server-port']).toBe(String(lb.balancer.port()));
  });

  it('evicts a peer killed mid-load; GETs keep succeeding', async () => {
    const [a, b] = await upstreams('a', 'b');
    const lb = await balancerWith(
      server(`
      upstream api { server ${a.address} max_fails=1 fail_timeout=30s; server ${b.address}; keepalive 16; }
      server { listen 127.0.0.1:0; location / { proxy_pass http://api; } }`),
    );
    const statuses: number[] = [];
    const agent = client();
    let sent = 0;
    const worker = async () => {
      while (sent < 400) {
        sent++;
        if (sent === 100) a.kill();
        const response = await request(`${lb.url}/item/${sent}`, { dispatcher: agent });
        await response.body.dump();
        statuses.push(response.statusCode);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    const status = JSON.parse((await get(`${lb.adminUrl}/status`)).body);
    const peerA = status.upstreams[0].peers.find((p: { address: string }) => p.address === a.address);
    expect(peerA.state).toBe('failing');
    expect(peerA.failures).toBeGreaterThan(0);
    expect(b.requests.length).toBeGreaterThan(300);
  });

  it('does not repeat a POST that reached a peer, but does repeat a GET', async () => {
    const [a, b] = await upstreams('a', 'b');
    // Peer a accepts requests and then drops the connection.
    a.handle = (req) => req.socket.destroy();
    const lb = await balancerWith(
      server(`
      upstream api { server ${a.address} max_fails=0; server ${b.address} max_fails=0; keepalive 8; }
      server { listen 127.0.0.1:0; location / { proxy_next_upstream error timeout http_502; proxy_pass http://api; } }`),
    );
    // Round-robin starts at a: the POST fails there and must not reach b.
    const post = await get(`${lb.url}/orders`, { method: 'POST', body: '{"sku":1}', headers: { 'content-type': 'application/json' } });
    expect(post.status).toBe(502);
    expect(post.body).toMatch(/502 Bad Gateway: upstream "api" failed .*tried 1 peer/);
    expect(a.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(b.requests.filter((r) => r.method === 'POST')).toHaveLength(0);

    const got = await get(`${lb.url}/orders`);
    expect(got.status).toBe(200);
    expect(got.headers['x-upstream']).toBe('b');

    // A 502 from a peer is retried for GET (http_502 is listed) but not for POST.
    a.handle = (_req, res) => reply(res, 502, { upstream: 'a' });
    const posts = await Promise.all([1, 2].map(() => get(`${lb.url}/pay`, { method: 'POST', body: 'x' })));
    expect(posts.map((p) => p.status).sort()).toEqual([200, 502]);
    const gets = await Promise.all([1, 2, 3, 4].map(() => get(`${lb.url}/list`)));
    expect(gets.map((g) => g.status)).toEqual([200, 200, 200, 200]);
  });

  it('retries a POST whose connection was refused (nothing was sent), and any POST with non_idempotent', async () => {
    const [b, c] = await upstreams('b', 'c');
    const closed = await startUpstream('gone');
    const refused = closed.address;
    await closed.close();
    const lb = await balancerWith(
      server(`
      upstream api { server ${refused}; server ${b.address}; }
      upstream flaky { server ${c.address} max_fails=0; server ${b.address} max_fails=0; }
      server { listen 127.0.0.1:0;
        location / { proxy_pass http://api; }
        location /idem/ { proxy_next_upstream error timeout non_idempotent; proxy_pass http://flaky; } }`),
    );
    const post = await get(`${lb.url}/orders`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(200);
    expect(post.headers['x-upstream']).toBe('b');
    c.handle = (req) => req.socket.destroy();
    const retried = await get(`${lb.url}/idem/x`, { method: 'POST', body: 'x' });
    expect(retried.status).toBe(200);
    expect(c.requests).toHaveLength(1);
  });

  it('uses backup peers only when primaries are out, and answers 502 with a clear body when nothing is left', async () => {
    const [a, spare] = await upstreams('a', 'spare');
    const lb = await balancerWith(
      server(`
      upstream api { server ${a.address}; server ${spare.address} backup; }
      server { listen 127.0.0.1:0; location / { proxy_pass http://api; } }`),
    );
    expect((await get(`${lb.url}/`)).headers['x-upstream']).toBe('a');
    await a.close();
    expect((await get(`${lb.url}/`)).headers['x-upstream']).toBe('spare');
    await spare.close();
    const none = await get(`${lb.url}/`);
    expect(none.status).toBe(502);
    expect(none.body).toMatch(/502 Bad Gateway/);
    expect(none.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
  });

  it('answers 504 when a peer does not answer within proxy_read_timeout', async () => {
    const [a] = await upstreams('a');
    const lb = await balancerWith(
      server(`
      upstream api { server ${a.address}; }
      server { listen 127.0.0.1:0; location / { proxy_read_timeout 200ms; proxy_pass http://api; } }`),
    );
    const slow = await get(`${lb.url}/slow?ms=3000`);
    expect(slow.status).toBe(504);
    expect(slow.body).toMatch(/504 Gateway Timeout/);
  });

  it('streams request and response bodies', async () => {
    const [a] = await upstreams('a');
    const original = a.handle;
    a.handle = (req, res) => {
      if (req.url !== '/download') return original(req, res);
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      let sent = 0;
      const chunk = Buffer.alloc(64 * 1024, 7);
      const pump = (): void => {
        while (sent < 16 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
    };
    const lb = await balancerWith(
      server(`
      upstream api { server ${a.address}; }
      server { listen 127.0.0.1:0; client_max_body_size 0; location / { proxy_pass http://api; } }`),
    );
    const size = 64 * 1024 * 1024;
    const expected = createHash('sha256');
    let produced = 0;
    const body = Readable.from(
      (function* () {
        while (produced < size) {
          const chunk = Buffer.alloc(256 * 1024, produced % 251);
          expected.update(chunk);
          produced += chunk.length;
          yield chunk;
        }
      })(),
    );
    const upload = await get(`${lb.url}/upload`, { method: 'PUT', body });
    expect(JSON.parse(upload.body)).toMatchObject({ bytes: size, sha256: expected.digest('hex') });
    const download = await request(`${lb.url}/download`, { dispatcher: client() });
    let received = 0;
    for await (const chunk of download.body) received += (chunk as Buffer).length;
    expect(received).toBe(16 * 1024 * 1024);
  });

  it('answers 413 for bodies over client_max_body_size, by Content-Length or while streaming', async () => {
    const [a] = await upstreams('a');
    const lb = await balancerWith(
      server(`
      upstream api { server ${a.address}; }
      server { listen 127.0.0.1:0; client_max_body_size 1k; location / { proxy_pass http://api; } }`),
    );
    const declared = await get(`${lb.url}/upload`, { method: 'POST', body: Buffer.alloc(4096) });
    expect(declared.status).toBe(413);
    expect(declared.body).toMatch(/client_max_body_size/);
    const chunked = await get(`${lb.url}/upload`, { method: 'POST', body: Readable.from([Buffer.alloc(800), Buffer.alloc(800)]) });
    expect(chunked.status).toBe(413);
    const fits = await get(`${lb.url}/upload`, { method: 'POST', body: Buffer.alloc(1000) });
    expect(fits.status).toBe(200);
  });

  it('never leaves a keep-alive connection stuck behind a body the upstream answered without reading', async () => {
    // The api answers 413 from Content-Length alone; the client has sent its whole body by then.
    const [a] = await upstreams('a');
    const original = a.handle;
    a.handle = (req, res) => {
      if (req.url !== '/early') return original(req, res);
      res.writeHead(413, { 'content-type': 'text/plain' });
      res.end('too large for this route');
    };
    const lb = await balancerWith(
      server(`
      upstream api { server ${a.address}; keepalive 8; }
      server { listen 127.0.0.1:0; client_max_body_size 16m; location / { proxy_pass http://api; } }`),
    );
    const socket = net.connect(lb.balancer.port(), '127.0.0.1');
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    let closed = false;
    socket.on('close', () => (closed = true));
    socket.on('error', () => undefined);
    const body = Buffer.alloc(3_000_000, 'x');
    socket.write(`POST /early HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
    socket.write(body);
    await eventually(() => /too large for this route/.test(received), 10_000, 'the 413');
    const first = received;
    if (!/^connection: close\r$/im.test(first)) {
      // Kept alive: the next request on it must be answered, not wait behind the unread body.
      socket.write('GET /after HTTP/1.1\r\nHost: x\r\n\r\n');
      await eventually(() => /HTTP\/1\.1 200/.test(received.slice(first.length)), 10_000, 'the next request answered');
    } else {
      // Closed instead: the client sees the close (and the 413 arrived whole before it).
      await eventually(() => closed, 10_000, 'the connection closed');
    }
    expect(first).toMatch(/^HTTP\/1\.1 413/);
    socket.destroy();
  });

  it('never serves the admin API on the public listener', async () => {
    const [a] = await upstreams('a');
    const lb = await balancerWith(
      server(`
      upstream api { server ${a.address}; }
      server { listen 127.0.0.1:0; location / { proxy_pass http://api; } }`),
    );
    for (const [method, url] of [
      ['GET', '/status'],
      ['GET', '/metrics'],
      ['GET', '/'],
      ['PUT', '/upstreams/api/algorithm'],
      ['POST', '/reload'],
    ] as const) {
      const response = await get(`${lb.url}${url}`, { method, body: method === 'GET' ? undefined : 'least_conn' });
      // The request went to the upstream like any other path.
      expect(response.headers['x-upstream']).toBe('a');
      expect(response.body).not.toContain('tenk-balancer');
    }
    expect(lb.balancer.generation.upstreams.get('api')?.balancer.name).toBe('round_robin');
    expect((await get(`${lb.adminUrl}/status`)).body).toContain('"service": "tenk-balancer"');
  });

  it('refuses request headers larger than large_client_header_buffers with 431', async () => {
    const [a] = await upstreams('a');
    const lb = await balancerWith(
      server(`
      upstream api { server ${a.address}; }
      server { listen 127.0.0.1:0; large_client_header_buffers 2 1k; location / { proxy_pass http://api; } }`),
    );
    const answer = await rawRequest(lb.balancer.port(), `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(4000)}\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 431/);
    expect((await get(`${lb.url}/`)).status).toBe(200);
  });

  it('cuts slow clients (client_header_timeout: 408, client_body_timeout) and idle keep-alive connections (keepalive_timeout)', async () => {
    const [a] = await upstreams('a');
    const lb = await balancerWith(
      server(`
      upstream api { server ${a.address}; }
      server { listen 127.0.0.1:0; client_header_timeout 400ms; client_body_timeout 300ms; keepalive_timeout 300ms; location / { proxy_pass http://api; } }`),
    );
    // A body that stops half-way: the connection is closed, nothing reaches the upstream.
    const stalled = await rawRequest(lb.balancer.port(), 'POST /orders HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"half":', 5000);
    expect(stalled).toBe('');
    expect(a.requests).toHaveLength(0);
    // Headers that never finish (slowloris): answered 408 and closed.
    const slow = await rawRequest(lb.balancer.port(), 'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ', 5000);
    expect(slow).toMatch(/^HTTP\/1\.1 408/);
    // A kept-alive connection left idle is closed by the balancer.
    const closedAfterMs = await new Promise<number>((resolve) => {
      const started = Date.now();
      const socket = net.connect(lb.balancer.port(), '127.0.0.1', () => socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
      socket.on('data', () => undefined);
      socket.on('close', () => resolve(Date.now() - started));
    });
    expect(closedAfterMs).toBeGreaterThan(0);
  });

  it('moves to a new listen port on reload and closes the old one', async () => {
    const [a] = await upstreams('a');
    const [first, second] = await Promise.all([freePort(), freePort()]);
    const text = (port: number) =>
      server(`upstream api { server ${a.address}; }\nserver { listen 127.0.0.1:${port}; location / { proxy_pass http://api; } }`);
    const lb = await balancerWith(text(first));
    expect((await get(`http://127.0.0.1:${first}/`)).status).toBe(200);
    writeFileSync(lb.file, text(second));
    expect(await lb.balancer.reloadFromFile()).toBeNull();
    expect((await get(`http://127.0.0.1:${second}/`)).status).toBe(200);
    await eventually(
      async () =>
        await get(`http://127.0.0.1:${first}/`).then(
          () => false,
          () => true,
        ),
      5000,
      'old port closed',
    );
  });

  it('lists each listener on /status with its own address after a reload reorders them', async () => {
    const [a] = await upstreams('a');
    const [one, two] = await Promise.all([freePort(), freePort()]);
    const block = (name: string, port: number) =>
      `server { listen 127.0.0.1:${port}; server_name ${name}; location / { proxy_pass http://api; } }`;
    const lb = await balancerWith(server(`upstream api { server ${a.address}; }\n${block('one', one)}\n${block('two', two)}`));
    writeFileSync(lb.file, server(`upstream api { server ${a.address}; }\n${block('two', two)}\n${block('one', one)}`));
    expect(await lb.balancer.reloadFromFile()).toBeNull();
    const status = JSON.parse((await get(`${lb.adminUrl}/status`)).body) as {
      listeners: Array<{ address: string; servers: Array<{ names: string[] }> }>;
    };
    expect(status.listeners.map((listener) => `${listener.address} ${listener.servers[0].names.join(',')}`)).toEqual([
      `127.0.0.1:${two} two`,
      `127.0.0.1:${one} one`,
    ]);
  });

  it('answers 400 for paths that climb above the root', async () => {
    const [a] = await upstreams('a');
    const lb = await balancerWith(
      server(`
      upstream api { server ${a.address}; }
      server { listen 127.0.0.1:0; location / { proxy_pass http://api; } }`),
    );
    expect(await rawRequest(lb.balancer.port(), 'GET /../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(
      /^HTTP\/1\.1 400/,
    );
    expect(a.requests).toHaveLength(0);
  });
});

describe('limits and health', () => {
  it('limit_req answers 503 (the default limit_req_status, as nginx) with Retry-After once the burst is used up', async () => {
    const [a] = await upstreams('a');
    const lb = await balancerWith(
      server(`
      limit_req_zone $binary_remote_addr zone=per_client:1m rate=1r/m;
      upstream api { server ${a.address}; }
      server { listen 127.0.0.1:0; location / { limit_req zone=per_client burst=2 nodelay; proxy_pass http://api; } }`),
    );
    const statuses = [];
    for (let i = 0; i < 5; i++) {
      const response = await get(`${lb.url}/`);
      statuses.push(response.status);
      if (response.status === 503) {
        expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
        expect(response.body).toMatch(/zone "per_client"/);
      }
    }
    expect(statuses).toEqual([200, 200, 200, 503, 503]);
    const metrics = (await get(`${lb.adminUrl}/metrics`)).body;
    expect(metrics).toMatch(/tenk_balancer_limit_req_total\{zone="per_client",result="rejected"\} 2/);
  });

  it('active health_check takes a failing peer out and brings it back when it passes', async () => {
    const [a, b] = await upstreams('a', 'b');
    const lb = await balancerWith(
      server(`
      upstream api { server ${a.address}; server ${b.address}; health_check interval=100ms fails=2 passes=2 uri=/health/ready; }
      server { listen 127.0.0.1:0; location / { proxy_pass http://api; } }`),
    );
    const peerState = async () =>
      JSON.parse((await get(`${lb.adminUrl}/status`)).body)
        .upstreams[0].peers.map((p: { state: string }) => p.state)
        .join(',');
    await eventually(async () => (await peerState()) === 'up,up', 5000, 'both up');
    b.healthy = false;
    await eventually(async () => (await peerState()) === 'up,unhealthy', 5000, 'b unhealthy');
    const served = await Promise.all(Array.from({ length: 6 }, () => get(`${lb.url}/`)));
    expect(served.map((r) => r.headers['x-upstream'])).toEqual(['a', 'a', 'a', 'a', 'a', 'a']);
    b.healthy = true;
    await eventually(async () => (await peerState()) === 'up,up', 5000, 'b back');
    const after = await Promise.all(Array.from({ length: 4 }, () => get(`${lb.url}/`)));
    expect(after.map((r) => r.headers['x-upstream'])).toContain('b');
  });

  it('switches the algorithm at run time through the admin API', async () => {
    const [a, b] = await upstreams('a', 'b');
    const lb = await balancerWith(
      server(`
      upstream api { server ${a.address}; server ${b.address}; }
      server { listen 127.0.0.1:0; location / { proxy_pass http://api; } }`),
    );
    const admin = { method: 'PUT' as const, headers: controlHeaders(lb.controlToken) };
    const switched = await get(`${lb.adminUrl}/upstreams/api/algorithm`, {
      ...admin,
      body: '{"algorithm": "hash $request_uri consistent"}',
    });
    expect(switched.status).toBe(200);
    expect(JSON.parse(switched.body).algorithm).toBe('hash $request_uri consistent');
    const first = (await get(`${lb.url}/cart/1`)).headers['x-upstream'];
    for (let i = 0; i < 5; i++) expect((await get(`${lb.url}/cart/1`)).headers['x-upstream']).toBe(first);
    const refused = await get(`${lb.adminUrl}/upstreams/api/algorithm`, { ...admin, body: '{"algorithm": "fastest"}' });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatch(/unknown algorithm "fastest"/);
    expect((await get(`${lb.adminUrl}/upstreams/nope/algorithm`, { ...admin, body: '{"algorithm": "least_conn"}' })).status).toBe(404);
    const page = await get(`${lb.adminUrl}/`);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('hash $request_uri consistent');
  });

  it('reloads on POST /reload and keeps the old configuration when the new one is bad', async () => {
    const [a, b] = await upstreams('a', 'b');
    const text = (peer: string) =>
      server(`upstream api { server ${peer}; }\nserver { listen 127.0.0.1:0; location / { proxy_pass http://api; } }`);
    const lb = await balancerWith(text(a.address));
    expect((await get(`${lb.url}/`)).headers['x-upstream']).toBe('a');
    writeFileSync(lb.file, text(b.address));
    const reload = { method: 'POST' as const, headers: controlHeaders(lb.controlToken), body: '{}' };
    expect((await get(`${lb.adminUrl}/reload`, reload)).status).toBe(200);
    expect((await get(`${lb.url}/`)).headers['x-upstream']).toBe('b');
    writeFileSync(lb.file, `${text(a.address)}\nbroken directive;`);
    const refused = await get(`${lb.adminUrl}/reload`, reload);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatch(/tenk\.conf:\d+: "broken" unknown directive/);
    expect((await get(`${lb.url}/`)).headers['x-upstream']).toBe('b');
    expect(lb.balancer.stats.reloadFailures).toBe(1);
  });
});

describe('static files', () => {
  const site = mkdtempSync(path.join(os.tmpdir(), 'tenk-site-'));
  mkdirSync(path.join(site, 'assets'));
  writeFileSync(path.join(site, 'index.html'), '<!doctype html><title>shop</title>');
  writeFileSync(path.join(site, 'assets', 'app.3f9a1c.js'), 'console.log("hashed");');
  writeFileSync(path.join(os.tmpdir(), 'tenk-secret.txt'), 'secret');
  utimesSync(path.join(site, 'index.html'), new Date('2026-01-02T03:04:05Z'), new Date('2026-01-02T03:04:05Z'));

  it('serves hashed assets immutable, index.html revalidated, SPA fallback, with validators and ranges', async () => {
    const [a] = await upstreams('a');
    const lb = await balancerWith(
      server(`
      upstream api { server ${a.address}; }
      server { listen 127.0.0.1:0;
        root ${site};
        location /api/ { proxy_pass http://api/; }
        location /assets/ { add_header Cache-Control "public, max-age=31536000, immutable"; try_files $uri =404; }
        location = /index.html { add_header Cache-Control "no-cache"; }
        location / { try_files $uri /index.html; }
      }`),
    );
    const asset = await get(`${lb.url}/assets/app.3f9a1c.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(asset.body).toBe('console.log("hashed");');

    const page = await get(`${lb.url}/products/42`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>shop</title>');
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers['last-modified']).toBe('Fri, 02 Jan 2026 03:04:05 GMT');
    const etag = String(page.headers.etag);
    expect(etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    const revalidated = await get(`${lb.url}/`, { headers: { 'if-none-match': etag } });
    expect(revalidated.status).toBe(304);
    expect(revalidated.body).toBe('');

    const partial = await get(`${lb.url}/assets/app.3f9a1c.js`, { headers: { range: 'bytes=0-6' } });
    expect(partial.status).toBe(206);
    expect(partial.body).toBe('console');
    expect(partial.headers['content-range']).toBe('bytes 0-6/22');

    expect((await get(`${lb.url}/assets/missing.js`)).status).toBe(404);
    expect((await get(`${lb.url}/api/products`)).headers['x-upstream']).toBe('a');
    expect(a.requests[0].url).toBe('/products');
    expect((await get(`${lb.url}/index.html`, { method: 'POST', body: 'x' })).status).toBe(405);
    for (const sneaky of ['/assets/../../tenk-secret.txt', '/assets/%2e%2e/%2e%2e/tenk-secret.txt', '/assets/..%2f..%2ftenk-secret.txt']) {
      const response = await rawRequest(lb.balancer.port(), `GET ${sneaky} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect(response).not.toContain('secret');
    }
  });

  it('decodes a try_files path once, as nginx: /assets/%252e%252e/index.html is not /index.html', async () => {
    const lb = await balancerWith(
      server(`
      server { listen 127.0.0.1:0;
        root ${site};
        location /assets/ { try_files $uri =404; }
        location / { try_files $uri /index.html; }
      }`),
    );
    const doubled = await get(`${lb.url}/assets/%252e%252e/index.html`);
    expect(doubled.status).toBe(404);
    expect(doubled.body).not.toContain('<title>shop</title>');
    // Decoded once it names a folder called "%2e%2e": a file there is served.
    mkdirSync(path.join(site, 'assets', '%2e%2e'), { recursive: true });
    writeFileSync(path.join(site, 'assets', '%2e%2e', 'index.html'), 'a file in a folder named %2e%2e');
    expect((await get(`${lb.url}/assets/%252e%252e/index.html`)).body).toBe('a file in a folder named %2e%2e');
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Sends raw bytes and returns what comes back until the server closes (or `waitMs` pass). */
function rawRequest(port: number, text: string, waitMs = 2000): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(text));
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString()));
    const done = () => {
      socket.destroy();
      resolve(answer);
    };
    socket.on('close', done);
    socket.on('error', done);
    setTimeout(done, waitMs).unref();
  });
}

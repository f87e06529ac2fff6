import { readFileSync, mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';
import { startBalancer, startUpstream, type RunningBalancer } from './testing/harness';

/**
 * nginx behaviours from its directive reference that tenk follows (issue 20), each against
 * real sockets: a raw TCP upstream where the bytes on the wire matter.
 */

const running: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((item) => item.close()));
});

async function balancerWith(text: string): Promise<RunningBalancer> {
  const started = await startBalancer(`admin_listen 127.0.0.1:0;\naccess_log off;\n${text}`);
  running.push(started);
  return started;
}

/** An upstream that answers every request with the bytes given (as a raw socket would). */
async function rawUpstream(answer: string): Promise<{ address: string }> {
  const server = net.createServer((socket) => {
    socket.on('data', () => socket.write(answer));
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  running.push({
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.unref();
      }),
  });
  return { address: `127.0.0.1:${(server.address() as net.AddressInfo).port}` };
}

describe('upstream responses with bare LF line endings (nginx accepts them)', () => {
  it('proxies a head ended by bare LFs and forwards it with CRLF', async () => {
    const up = await rawUpstream('HTTP/1.1 200 OK\nContent-Type: text/plain\nX-Lf: yes\nContent-Length: 5\n\nhello');
    const lb = await balancerWith(
      `upstream u { server ${up.address}; } server { listen 127.0.0.1:0; location / { proxy_pass http://u; } }`,
    );
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(lb.balancer.port(), '127.0.0.1', () =>
        socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
      );
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(raw).toMatch(/\r\nX-Lf: yes\r\n/);
    expect(raw.replace(/\r\n/g, '')).not.toMatch(/\n/);
    expect(raw.endsWith('\r\n\r\nhello')).toBe(true);
  });

  it('still refuses an ambiguous response (a bare CR ending a line): 502', async () => {
    const up = await rawUpstream('HTTP/1.1 200 OK\rX-A: b\r\nContent-Length: 0\r\n\r\n');
    const lb = await balancerWith(
      `upstream u { server ${up.address}; } server { listen 127.0.0.1:0; location / { proxy_pass http://u; } }`,
    );
    const response = await request(`${lb.url}/`);
    expect(response.statusCode).toBe(502);
    expect(await response.body.text()).toMatch(/invalid response/);
  });
});

/** A port nothing listens on (connection refused). */
async function deadAddress(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `127.0.0.1:${port}`;
}

describe('log_format and the upstream variables (ngx_http_log_module, ngx_http_upstream_module)', () => {
  it('writes a custom format with one value per try, and counts requests per connection', async () => {
    const live = await startUpstream('live');
    running.push(live);
    const dead = await deadAddress();
    const log = path.join(mkdtempSync(path.join(os.tmpdir(), 'tenk-log-')), 'access.log');
    const lb = await startBalancer(`admin_listen 127.0.0.1:0;
      log_format tries escape=json '{"addr":"$upstream_addr","status":"$upstream_status","times":"$upstream_response_time",'
                                   '"connect":"$upstream_connect_time","header":"$upstream_header_time",'
                                   '"conn":"$connection","n":"$connection_requests","rt":"$request_time","s":$status,"port":"$proxy_port"}';
      upstream u { server ${dead}; server ${live.address}; }
      server { listen 127.0.0.1:0; access_log ${log} tries buffer=1k flush=100ms;
        location / { proxy_pass http://u; } }`);
    const agent = new Agent({ connections: 1 });
    try {
      for (let i = 0; i < 2; i++) {
        const response = await request(`${lb.url}/x${i}`, { dispatcher: agent });
        expect(response.statusCode).toBe(200);
        await response.body.text();
      }
    } finally {
      await agent.close();
      await lb.close();
    }
    const lines = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, string | number>);
    expect(lines).toHaveLength(2);
    // Round-robin: the first request tries the dead peer first, then the live one.
    expect(lines[0].addr).toBe(`${dead}, ${live.address}`);
    expect(lines[0].status).toBe('502, 200');
    expect(String(lines[0].times)).toMatch(/^\d+\.\d{3}, \d+\.\d{3}$/);
    expect(String(lines[0].connect)).toMatch(/^-, \d+\.\d{3}$/);
    expect(String(lines[0].header)).toMatch(/^-, \d+\.\d{3}$/);
    expect(lines[0]).toMatchObject({ s: 200, port: '80' });
    expect(String(lines[0].rt)).toMatch(/^\d+\.\d{3}$/);
    // Same client connection: one number, its requests counted.
    expect(lines[1].conn).toBe(lines[0].conn);
    expect([lines[0].n, lines[1].n]).toEqual(['1', '2']);
  });
});

describe('keepalive_time (ngx_http_core_module, ngx_http_upstream_module)', () => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('closes a client connection after the first request past keepalive_time, and does not reuse older upstream connections', async () => {
    const api = await startUpstream('api');
    running.push(api);
    let upstreamConnections = 0;
    api.server.on('connection', () => upstreamConnections++);
    const lb = await balancerWith(`upstream u { server ${api.address}; keepalive 4; keepalive_time 300ms; }
      server { listen 127.0.0.1:0; keepalive_time 300ms; location / { proxy_pass http://u; } }`);
    const agent = new Agent({ connections: 1 });
    const connectionHeaders: Array<string | string[] | undefined> = [];
    try {
      for (const wait of [0, 0, 400]) {
        await sleep(wait);
        const response = await request(`${lb.url}/`, { dispatcher: agent });
        connectionHeaders.push(response.headers.connection);
        await response.body.text();
      }
    } finally {
      await agent.close();
    }
    // The first two share a young connection; the third comes after 400 ms: answered, then closed.
    expect(connectionHeaders).toEqual(['keep-alive', 'keep-alive', 'close']);
    // Upstream side: the connection made for the first request was too old to keep after the third.
    expect(upstreamConnections).toBe(1);
    const response = await request(`${lb.url}/`);
    await response.body.text();
    expect(upstreamConnections).toBe(2);
  });
});

describe('realip (ngx_http_realip_module)', () => {
  it("a trusted peer's X-Forwarded-For becomes $remote_addr: forwarded, logged, and $realip_remote_addr keeps the peer", async () => {
    const api = await startUpstream('api');
    running.push(api);
    const lb = await balancerWith(`upstream u { server ${api.address}; }
      server { listen 127.0.0.1:0; set_real_ip_from 127.0.0.0/8; real_ip_header X-Forwarded-For; real_ip_recursive on;
        location / { proxy_set_header X-Real-IP $remote_addr; proxy_set_header X-Peer $realip_remote_addr; proxy_pass http://u; }
        location /untrusted { set_real_ip_from 192.0.2.1; proxy_set_header X-Real-IP $remote_addr; proxy_pass http://u; } }`);
    const headers = { 'x-forwarded-for': '203.0.113.50, 127.0.0.9' };
    await (await request(`${lb.url}/`, { headers })).body.text();
    await (await request(`${lb.url}/untrusted`, { headers })).body.text();
    expect(api.requests[0].headers).toMatchObject({
      'x-real-ip': '203.0.113.50',
      'x-peer': '127.0.0.1',
      // nginx's $proxy_add_x_forwarded_for: what came, plus $remote_addr (now the client).
      'x-forwarded-for': '203.0.113.50, 127.0.0.9, 203.0.113.50',
    });
    expect(api.requests[1].headers['x-real-ip']).toBe('127.0.0.1');
  });
});

describe('if and return in a location (ngx_http_rewrite_module)', () => {
  it('answers from the first if that holds, before limit_req and the proxy; regex captures reach the return', async () => {
    const api = await startUpstream('api');
    running.push(api);
    const lb = await balancerWith(`upstream u { server ${api.address}; }
      limit_req_zone $binary_remote_addr zone=one:1m rate=1r/m;
      server { listen 127.0.0.1:0;
        location / {
          if ($http_x_block) { return 403 "blocked $http_x_block"; }
          if ($request_method = DELETE) { return 405; }
          if ($uri ~* "^/old/(\\d+)$") { return 301 http://shop.example/new/$1; }
          limit_req zone=one;
          proxy_pass http://u;
        } }`);
    const answer = async (path: string, init: Parameters<typeof request>[1] = {}) => {
      const response = await request(`${lb.url}${path}`, init);
      return { status: response.statusCode, location: response.headers.location, body: await response.body.text() };
    };
    expect(await answer('/x', { headers: { 'x-block': 'yes' } })).toMatchObject({ status: 403, body: 'blocked yes' });
    expect(await answer('/x', { headers: { 'x-block': '0' } })).toMatchObject({ status: 200 });
    expect(await answer('/x', { method: 'DELETE' })).toMatchObject({ status: 405 });
    expect(await answer('/OLD/42')).toMatchObject({ status: 301, location: 'http://shop.example/new/42' });
    expect(api.requests.map((r) => r.url)).toEqual(['/x']);
  });
});

describe('variables in proxy_pass (ngx_http_proxy_module)', () => {
  it('picks the upstream group by a variable, never an undeclared host; a URI with $1 replaces the request URI', async () => {
    const [blue, green] = await Promise.all([startUpstream('blue'), startUpstream('green')]);
    running.push(blue, green);
    const lb = await balancerWith(`upstream blue { server ${blue.address}; } upstream green { server ${green.address}; }
      server { listen 127.0.0.1:0;
        location /pool/ { proxy_pass http://$arg_pool; }
        location ~ ^/v2/(\\w+)$ { proxy_pass http://green/items/$1; } }`);
    const answer = async (path: string) => {
      const response = await request(`${lb.url}${path}`);
      return { status: response.statusCode, body: await response.body.text() };
    };
    expect((await answer('/pool/a?pool=blue')).status).toBe(200);
    expect((await answer('/pool/b?pool=green')).status).toBe(200);
    const refused = await answer('/pool/c?pool=evil.example');
    expect(refused.status).toBe(502);
    expect(refused.body).toMatch(/upstream "evil\.example", which is not declared/);
    expect((await answer('/v2/shoes?ignored=1')).status).toBe(200);
    expect(blue.requests.map((r) => r.url)).toEqual(['/pool/a?pool=blue']);
    expect(green.requests.map((r) => r.url)).toEqual(['/pool/b?pool=green', '/items/shoes']);
  });
});

describe('error_page and proxy_intercept_errors (ngx_http_core_module, ngx_http_proxy_module)', () => {
  it("sends tenk's own errors to a URI, a named location or a URL, with the original status unless =CODE", async () => {
    const dead = await deadAddress();
    const lb = await balancerWith(`upstream gone { server ${dead}; }
      server { listen 127.0.0.1:0;
        location /missing { error_page 404 /sorry; return 404; }
        location = /sorry { return 200 "sorry, not here"; }
        location /down { error_page 502 504 =200 @fallback; proxy_pass http://gone; }
        location @fallback { return 200 "served from the fallback"; }
        location /moved { error_page 410 https://status.example/gone; return 410; } }`);
    const answer = async (path: string, init: Parameters<typeof request>[1] = {}) => {
      const response = await request(`${lb.url}${path}`, init);
      return { status: response.statusCode, location: response.headers.location, body: await response.body.text() };
    };
    expect(await answer('/missing')).toMatchObject({ status: 404, body: 'sorry, not here' });
    expect(await answer('/missing', { method: 'POST', body: 'x' })).toMatchObject({ status: 404, body: 'sorry, not here' });
    expect(await answer('/down')).toMatchObject({ status: 200, body: 'served from the fallback' });
    expect(await answer('/moved')).toMatchObject({ status: 302, location: 'https://status.example/gone' });
  });

  it("proxy_intercept_errors on: an upstream 500 goes to error_page (=: the page's status), $upstream_addr lists both groups", async () => {
    const [broken, spare] = await Promise.all([startUpstream('broken'), startUpstream('spare')]);
    running.push(broken, spare);
    broken.handle = (_req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('stack trace the client must not see');
    };
    const lb = await balancerWith(`upstream broken { server ${broken.address}; } upstream spare { server ${spare.address}; }
      server { listen 127.0.0.1:0;
        location /api/ { proxy_intercept_errors on; error_page 500 = /spare; proxy_pass http://broken; }
        location /plain/ { error_page 500 = /spare; proxy_pass http://broken; }
        location = /spare { add_header X-Upstreams $upstream_addr always; proxy_pass http://spare; } }`);
    const intercepted = await request(`${lb.url}/api/x`);
    expect(intercepted.statusCode).toBe(200);
    expect(intercepted.headers['x-upstreams']).toBe(`${broken.address} : ${spare.address}`);
    expect(await intercepted.body.text()).toMatch(/"upstream":"spare"/);
    // Without proxy_intercept_errors the upstream's own 500 reaches the client.
    const passed = await request(`${lb.url}/plain/x`);
    expect(passed.statusCode).toBe(500);
    expect(await passed.body.text()).toMatch(/stack trace/);
  });
});

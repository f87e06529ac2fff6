import { mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { WebSocket } from 'undici';
import { eventually, reply, startBalancer, startUpstream, type RunningBalancer, type TestUpstream } from './testing/harness';
import { startWebSocketEchoServer } from './testing/websocket-echo';

/**
 * Upgrades (WebSocket) as nginx does them: a client connection becomes a byte tunnel only
 * after the upstream answered 101 to a request that asked for an upgrade, in a location that
 * lets upgrades through; any other answer is relayed as a response and the connection stays
 * one the balancer parses (issue 12, section 1: an upgrade answered 200 used to become a raw
 * tunnel that smuggled the next requests past limit_req, the access log and X-Forwarded-For).
 */

const running: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((item) => item.close()));
});

async function balancerWith(text: string): Promise<RunningBalancer> {
  const started = await startBalancer(text);
  running.push(started);
  return started;
}
async function upstream(name: string): Promise<TestUpstream> {
  const started = await startUpstream(name);
  running.push(started);
  return started;
}

/** nginx's WebSocket recipe: what makes a location let upgrades through. */
const ALLOW_UPGRADES = 'proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection $connection_upgrade;';

function accessLogFile(): string {
  return path.join(mkdtempSync(path.join(os.tmpdir(), 'tenk-upgrade-')), 'access.log');
}
function accessLines(file: string): Array<Record<string, unknown>> {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const UPGRADE_HEALTH = 'GET /health/live HTTP/1.1\r\nHost: shop\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n';
const SMUGGLED = 'GET /products?limit=1 HTTP/1.1\r\nHost: shop\r\nX-Forwarded-For: 198.51.100.7\r\n\r\n';

describe('upgrades', () => {
  it.each([
    ['a location that lets upgrades through', ALLOW_UPGRADES],
    ['a location that does not', ''],
  ])('keeps parsing the connection when the upstream answers an upgrade with 200 (%s)', async (_name, lines) => {
    const api = await upstream('api');
    const log = accessLogFile();
    const lb = await balancerWith(`admin_listen 127.0.0.1:0;
      access_log ${log} json flush=50ms;
      upstream api { server ${api.address}; }
      server { listen 127.0.0.1:0; location / { ${lines} proxy_pass http://api; } }`);
    const connection = await HttpConnection.open(lb.balancer.port());
    try {
      const first = await connection.exchange(UPGRADE_HEALTH);
      expect(first.status).toBe(200);
      expect(JSON.parse(first.body)).toMatchObject({ upstream: 'api', url: '/health/live' });
      // The same socket, after the 200: a request the balancer must parse like any other.
      const second = await connection.exchange(SMUGGLED);
      expect(second.status).toBe(200);
    } finally {
      connection.close();
    }
    expect(api.requests.map((request) => request.url)).toEqual(['/health/live', '/products?limit=1']);
    // X-Forwarded-For appended by the balancer ($proxy_add_x_forwarded_for), not passed raw.
    expect(api.requests[1].headers['x-forwarded-for']).toBe('198.51.100.7, 127.0.0.1');
    expect(api.requests[1].headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
    expect(lb.balancer.stats.requests).toBe(2);
    expect(lb.balancer.stats.websocketsTotal).toBe(0);
    await eventually(() => accessLines(log).length === 2, 5000, 'two access log lines');
    expect(accessLines(log).map((line) => `${line.uri} ${line.status}`)).toEqual(['/health/live 200', '/products?limit=1 200']);
  });

  it('parses a request pipelined right behind an upgrade request the upstream answered 200', async () => {
    const api = await upstream('api');
    const lb = await balancerWith(`admin_listen 127.0.0.1:0; access_log off;
      upstream api { server ${api.address}; }
      server { listen 127.0.0.1:0; location / { ${ALLOW_UPGRADES} proxy_pass http://api; } }`);
    const connection = await HttpConnection.open(lb.balancer.port());
    try {
      // Both requests in one write: the second arrives with the upgrade request's bytes.
      const first = await connection.exchange(UPGRADE_HEALTH + SMUGGLED);
      expect(first.status).toBe(200);
      const second = await connection.exchange('');
      expect(JSON.parse(second.body)).toMatchObject({ url: '/products?limit=1' });
    } finally {
      connection.close();
    }
    expect(api.requests[1].headers['x-forwarded-for']).toBe('198.51.100.7, 127.0.0.1');
    expect(lb.balancer.stats.requests).toBe(2);
  });

  it.each([426, 400])('relays a %i answer to an upgrade as a response and keeps the connection HTTP', async (status) => {
    const api = await upstream('api');
    api.handle = (req, res) => {
      req.resume();
      if (req.url === '/socket') {
        res.setHeader('Upgrade', 'websocket');
        res.setHeader('Connection', 'Upgrade');
        return reply(res, status, { upstream: 'api', refused: true });
      }
      reply(res, 200, { upstream: 'api', url: req.url });
    };
    const lb = await balancerWith(`admin_listen 127.0.0.1:0; access_log off;
      upstream api { server ${api.address}; }
      server { listen 127.0.0.1:0; location / { ${ALLOW_UPGRADES} proxy_pass http://api; } }`);
    const connection = await HttpConnection.open(lb.balancer.port());
    try {
      const refused = await connection.exchange(
        'GET /socket HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      );
      expect(refused.status).toBe(status);
      expect(JSON.parse(refused.body)).toEqual({ upstream: 'api', refused: true });
      // The upstream offered the upgrade (it got the Upgrade header) and declined it.
      expect(api.requests[0].headers.upgrade).toBe('websocket');
      const next = await connection.exchange('GET /after HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 198.51.100.7\r\n\r\n');
      expect(next.status).toBe(200);
    } finally {
      connection.close();
    }
    expect(api.requests.map((request) => request.url)).toEqual(['/socket', '/after']);
    expect(api.requests[1].headers['x-forwarded-for']).toBe('198.51.100.7, 127.0.0.1');
    expect(lb.balancer.stats.websocketsTotal).toBe(0);
  });

  it('tunnels a WebSocket once the upstream answers 101, and logs it when it closes', async () => {
    const echo = await startWebSocketEchoServer();
    running.push(echo);
    const log = accessLogFile();
    const lb = await balancerWith(`admin_listen 127.0.0.1:0;
      access_log ${log} json flush=50ms;
      upstream ws { server 127.0.0.1:${echo.port}; }
      server { listen 127.0.0.1:0; location /socket { ${ALLOW_UPGRADES} proxy_pass http://ws; } }`);
    // undici's WebSocket checks Sec-WebSocket-Accept: the handshake went through untouched.
    const socket = new WebSocket(`ws://127.0.0.1:${lb.balancer.port()}/socket`);
    const messages: string[] = [];
    await new Promise<void>((resolve, reject) => {
      socket.onopen = () => socket.send('hello through tenk');
      socket.onmessage = (event) => {
        messages.push(String(event.data));
        if (messages.length === 1) socket.send('second');
        else socket.close();
      };
      socket.onclose = () => resolve();
      socket.onerror = () => reject(new Error('websocket failed'));
    });
    expect(messages).toEqual(['echo: hello through tenk', 'echo: second']);
    expect(echo.forwardedFor).toEqual(['127.0.0.1']);
    await eventually(() => lb.balancer.stats.websocketsTotal === 1 && lb.balancer.stats.websocketsActive === 0, 5000, 'tunnel closed');
    const peer = lb.balancer.generation.upstreams.get('ws')?.peers[0];
    expect(peer?.conns).toBe(0);
    await eventually(() => accessLines(log).length === 1, 5000, 'the tunnel logged');
    expect(accessLines(log)[0]).toMatchObject({ uri: '/socket', status: 101, upstream_status: 101 });
  });

  it('does not upgrade in a location that does not let upgrades through: no Upgrade header reaches the upstream', async () => {
    const echo = await startWebSocketEchoServer();
    running.push(echo);
    const lb = await balancerWith(`admin_listen 127.0.0.1:0; access_log off;
      upstream ws { server 127.0.0.1:${echo.port}; }
      server { listen 127.0.0.1:0; location /socket { proxy_pass http://ws; } }`);
    const connection = await HttpConnection.open(lb.balancer.port());
    try {
      // The echo server upgrades anything that asks; as a plain GET it answers 426.
      const answer = await connection.exchange(
        'GET /socket HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      );
      expect(answer.status).toBe(426);
      const next = await connection.exchange('GET /socket/again HTTP/1.1\r\nHost: x\r\n\r\n');
      expect(next.status).toBe(426);
    } finally {
      connection.close();
    }
    expect(echo.forwardedFor).toEqual([]);
    expect(lb.balancer.stats.websocketsTotal).toBe(0);
    expect(lb.balancer.stats.requests).toBe(2);
  });

  it('serves an upgrade request to a static or return location as a plain request', async () => {
    const lb = await balancerWith(`admin_listen 127.0.0.1:0; access_log off;
      server { listen 127.0.0.1:0; location = /hello { return 200 "hello\\n"; } }`);
    const connection = await HttpConnection.open(lb.balancer.port());
    try {
      const answer = await connection.exchange('GET /hello HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
      expect(answer.status).toBe(200);
      expect(answer.body).toBe('hello\n');
      expect((await connection.exchange('GET /hello HTTP/1.1\r\nHost: x\r\n\r\n')).status).toBe(200);
    } finally {
      connection.close();
    }
  });

  it('answers an upgrade no peer accepts with a 502 that carries the request id', async () => {
    const closedPort = await freePort();
    const lb = await balancerWith(`admin_listen 127.0.0.1:0; access_log off;
      upstream ws { server 127.0.0.1:${closedPort}; }
      server { listen 127.0.0.1:0; location /socket { ${ALLOW_UPGRADES} proxy_pass http://ws; } }`);
    const connection = await HttpConnection.open(lb.balancer.port());
    try {
      const answer = await connection.exchange(
        'GET /socket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Request-Id: trace-ws\r\n\r\n',
      );
      expect(answer.status).toBe(502);
      expect(answer.headers['x-request-id']).toBe('trace-ws');
      expect(answer.body).toMatch(/^502 Bad Gateway: upstream "ws" failed \(connection refused/);
    } finally {
      connection.close();
    }
  });

  it('refuses an upgrade request that carries a body (400, closed): its bytes never become a request', async () => {
    const api = await upstream('api');
    const lb = await balancerWith(`admin_listen 127.0.0.1:0; access_log off;
      upstream api { server ${api.address}; }
      server { listen 127.0.0.1:0; location / { ${ALLOW_UPGRADES} proxy_pass http://api; } }`);
    const hidden = 'GET /hidden HTTP/1.1\r\nHost: x\r\n\r\n';
    const answer = await rawRequest(
      lb.balancer.port(),
      `POST /socket HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nContent-Length: ${hidden.length}\r\n\r\n${hidden}`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('upgrade request cannot carry a body');
    expect(answer.match(/HTTP\/1\.1/g)).toHaveLength(1);
    expect(api.requests).toHaveLength(0);
  });
});

interface Response {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One client connection, read response by response (Content-Length framed), for sequences on one socket. */
class HttpConnection {
  #buffer = Buffer.alloc(0);
  #waiter: (() => void) | null = null;
  #closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#waiter?.();
    });
    socket.on('close', () => {
      this.#closed = true;
      this.#waiter?.();
    });
    socket.on('error', () => undefined);
  }

  static open(port: number): Promise<HttpConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(new HttpConnection(socket)));
      socket.once('error', reject);
    });
  }

  /** Sends `text` and reads one whole response. */
  async exchange(text: string, timeoutMs = 5000): Promise<Response> {
    if (text !== '') this.socket.write(text);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = this.#parse();
      if (parsed !== null) return parsed;
      if (this.#closed) throw new Error(`connection closed; received: ${JSON.stringify(this.#buffer.toString('latin1'))}`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no whole response within ${timeoutMs} ms; received: ${JSON.stringify(this.#buffer.toString('latin1'))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#waiter = null;
    }
  }

  #parse(): Response | null {
    const end = this.#buffer.indexOf('\r\n\r\n');
    if (end === -1) return null;
    const head = this.#buffer.subarray(0, end).toString('latin1').split('\r\n');
    const status = Number(head[0].split(' ')[1]);
    const headers: Record<string, string> = {};
    for (const line of head.slice(1)) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    if (headers['transfer-encoding'] === 'chunked') return this.#chunked(end + 4, status, headers);
    const length = Number(headers['content-length'] ?? '0');
    if (this.#buffer.length < end + 4 + length) return null;
    const body = this.#buffer.subarray(end + 4, end + 4 + length).toString();
    this.#buffer = this.#buffer.subarray(end + 4 + length);
    return { status, headers, body };
  }

  #chunked(start: number, status: number, headers: Record<string, string>): Response | null {
    let offset = start;
    let body = '';
    for (;;) {
      const line = this.#buffer.indexOf('\r\n', offset);
      if (line === -1) return null;
      const size = parseInt(this.#buffer.subarray(offset, line).toString('latin1'), 16);
      if (this.#buffer.length < line + 2 + size + 2) return null;
      body += this.#buffer.subarray(line + 2, line + 2 + size).toString();
      offset = line + 2 + size + 2;
      if (size === 0) break;
    }
    this.#buffer = this.#buffer.subarray(offset);
    return { status, headers, body };
  }

  close(): void {
    this.socket.destroy();
  }
}

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

/**
 * The running shop's front door (the balancer) against request smuggling and oversize requests
 * (issue 12, "Done when"), sent as an anonymous visitor: every request two HTTP parsers could
 * frame differently, and every request over a size limit, gets its specific 4xx with a reason
 * naming the problem, and no api instance sees any of it. The upgrade the issue reproduced
 * (answered 200, then a spoofed X-Forwarded-For on the same connection) no longer opens a
 * tunnel past the balancer. The shop is healthy afterwards.
 */
import net from 'node:net';
import { balancerAdminUrl } from '../support/control-planes';
import { shopUrl } from '../support/e2e-env';

const port = Number(new URL(shopUrl()).port);

interface PeerCounts {
  requests: number;
  states: string[];
}

/** What the balancer's api peers have been sent so far (its admin /status, read-only). */
async function apiPeers(): Promise<PeerCounts> {
  const status = (await (await fetch(balancerAdminUrl('/status'))).json()) as {
    upstreams: Array<{ name: string; peers: Array<{ requests: number; state: string }> }>;
  };
  const peers = status.upstreams.find((upstream) => upstream.name === 'api')?.peers ?? [];
  return { requests: peers.reduce((sum, peer) => sum + peer.requests, 0), states: peers.map((peer) => peer.state) };
}

/** A request an api instance must never see, hidden where a lax parser would find it. */
const SMUGGLED = 'GET /auth/me HTTP/1.1\r\nHost: shop\r\n\r\n';
const login = '{"email":"front-door@example.com","password":"x"}';

const CASES: Array<[string, string, number, RegExp]> = [
  [
    'Content-Length + Transfer-Encoding',
    `POST /auth/login HTTP/1.1\r\nHost: shop\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    400,
    /Content-Length and Transfer-Encoding together/,
  ],
  [
    'Transfer-Encoding + Content-Length',
    `POST /auth/login HTTP/1.1\r\nHost: shop\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nContent-Length: 40\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    400,
    /Content-Length and Transfer-Encoding together/,
  ],
  [
    'two differing Content-Length',
    `POST /auth/login HTTP/1.1\r\nHost: shop\r\nContent-Type: application/json\r\nContent-Length: ${login.length}\r\nContent-Length: ${login.length + SMUGGLED.length}\r\n\r\n${login}${SMUGGLED}`,
    400,
    /more than one Content-Length/,
  ],
  [
    'two equal Content-Length',
    `POST /auth/login HTTP/1.1\r\nHost: shop\r\nContent-Type: application/json\r\nContent-Length: ${login.length}\r\nContent-Length: ${login.length}\r\n\r\n${login}`,
    400,
    /more than one Content-Length/,
  ],
  [
    'an invalid Transfer-Encoding (chunked, identity)',
    `POST /auth/login HTTP/1.1\r\nHost: shop\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    400,
    /invalid Transfer-Encoding/,
  ],
  [
    'an obfuscated Transfer-Encoding (space before the colon)',
    `POST /auth/login HTTP/1.1\r\nHost: shop\r\nContent-Type: application/json\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    400,
    /invalid character in a header/,
  ],
  [
    'Transfer-Encoding in an HTTP/1.0 request',
    `POST /auth/login HTTP/1.0\r\nHost: shop\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    400,
    /Transfer-Encoding in an HTTP\/1\.0 request/,
  ],
  [
    '40 KiB of headers',
    `GET /products HTTP/1.1\r\nHost: shop\r\nX-Filler: ${'a'.repeat(40 * 1024)}\r\n\r\n`,
    431,
    /larger than large_client_header_buffers/,
  ],
  [
    'a 40 KiB cookie',
    `GET /auth/me HTTP/1.1\r\nHost: shop\r\nCookie: tenk_session=${'b'.repeat(40 * 1024)}\r\n\r\n`,
    431,
    /larger than large_client_header_buffers/,
  ],
  [
    'a 17 MB sign-in body (over client_max_body_size 16m)',
    `POST /auth/login HTTP/1.1\r\nHost: shop\r\nContent-Type: application/json\r\nContent-Length: ${17 * 1024 * 1024}\r\n\r\n{"email":"`,
    413,
    /larger than client_max_body_size/,
  ],
  [
    'a 2 GiB upload (over /videos client_max_body_size 1g)',
    `POST /videos HTTP/1.1\r\nHost: shop\r\nContent-Type: video/mp4\r\nContent-Length: ${2 * 1024 * 1024 * 1024}\r\n\r\n`,
    413,
    /larger than client_max_body_size/,
  ],
];

describe('security: the front door', () => {
  it.each(CASES)('refuses %s with its 4xx, closes the connection, and no api instance sees it', async (_name, request, status, reason) => {
    const before = await apiPeers();
    const answer = await rawExchange(request);
    expect(answer.text).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(answer.text).toMatch(reason);
    expect(answer.text.match(/HTTP\/1\.1 \d{3}/g)).toHaveLength(1);
    expect(answer.closed).toBe(true);
    expect((await apiPeers()).requests).toBe(before.requests);
  });

  it('keeps parsing a connection whose upgrade the api answered 200: the next request goes through the balancer, not a tunnel', async () => {
    const connection = await Connection.open();
    try {
      const first = await connection.exchange(
        'GET /health/live HTTP/1.1\r\nHost: shop\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
      );
      expect(first.status).toBe(200);
      // No X-Request-Id: the balancer gives the request one (32 hex characters), which the api
      // echoes; a request tunnelled past the balancer would get the api's own (a UUID).
      const second = await connection.exchange('GET /products?limit=1 HTTP/1.1\r\nHost: shop\r\nX-Forwarded-For: 198.51.100.7\r\n\r\n');
      expect(second.status).toBe(200);
      expect(second.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
    } finally {
      connection.close();
    }
  });

  it('leaves the shop healthy', async () => {
    expect((await fetch(shopUrl('/health/ready'))).status).toBe(200);
    expect((await fetch(shopUrl('/products?limit=1'))).status).toBe(200);
    expect((await apiPeers()).states.every((state) => state === 'up')).toBe(true);
  });
});

/** Sends raw bytes to the shop's door; resolves with what came back and whether it closed the connection. */
function rawExchange(text: string, waitMs = 5000): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(text));
    let answer = '';
    let settled = false;
    const done = (closed: boolean) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve({ text: answer, closed });
    };
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('close', () => done(true));
    socket.on('error', () => done(true));
    setTimeout(() => done(false), waitMs).unref();
  });
}

/** One kept-alive connection to the door, read response by response (Content-Length or chunked). */
class Connection {
  #buffer = Buffer.alloc(0);
  #wake: (() => void) | null = null;
  #closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#wake?.();
    });
    socket.on('close', () => {
      this.#closed = true;
      this.#wake?.();
    });
    socket.on('error', () => undefined);
  }

  static open(): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(new Connection(socket)));
      socket.once('error', reject);
    });
  }

  async exchange(text: string, timeoutMs = 10_000): Promise<{ status: number; headers: Record<string, string> }> {
    this.socket.write(text);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = this.#parse();
      if (parsed !== null) return parsed;
      if (this.#closed || Date.now() > deadline)
        throw new Error(`no whole response; received ${JSON.stringify(this.#buffer.toString('latin1').slice(0, 300))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = null;
    }
  }

  #parse(): { status: number; headers: Record<string, string> } | null {
    const end = this.#buffer.indexOf('\r\n\r\n');
    if (end === -1) return null;
    const lines = this.#buffer.subarray(0, end).toString('latin1').split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    let offset = end + 4;
    if (headers['transfer-encoding'] === 'chunked') {
      for (;;) {
        const lineEnd = this.#buffer.indexOf('\r\n', offset);
        if (lineEnd === -1) return null;
        const size = parseInt(this.#buffer.subarray(offset, lineEnd).toString('latin1'), 16);
        if (this.#buffer.length < lineEnd + 2 + size + 2) return null;
        offset = lineEnd + 2 + size + 2;
        if (size === 0) break;
      }
    } else {
      offset += Number(headers['content-length'] ?? '0');
      if (this.#buffer.length < offset) return null;
    }
    this.#buffer = this.#buffer.subarray(offset);
    return { status: Number(lines[0].split(' ')[1]), headers };
  }

  close(): void {
    this.socket.destroy();
  }
}

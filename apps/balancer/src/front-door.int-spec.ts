import net from 'node:net';
import { startBalancer, startUpstream, type RunningBalancer, type TestUpstream } from './testing/harness';

/**
 * The front door against request smuggling and oversize requests (issue 12, "Done when"):
 * every request whose framing two HTTP parsers could read differently, and every request
 * over a size limit, gets its specific 4xx with a reason naming the problem, the connection
 * closes (so bytes after the bad framing are never read as a request), and nothing reaches
 * the upstream. A real upstream socket counts what arrives.
 */

let api: TestUpstream;
let lb: RunningBalancer;

beforeAll(async () => {
  api = await startUpstream('api');
  lb = await startBalancer(`admin_listen 127.0.0.1:0; access_log off;
    upstream api { server ${api.address}; }
    server { listen 127.0.0.1:0; large_client_header_buffers 4 2k; client_max_body_size 1k;
      location / { proxy_pass http://api; } }`);
});
afterAll(async () => {
  await lb.close();
  await api.close();
});
beforeEach(() => {
  api.requests.length = 0;
});

/** A request the upstream must never see, hidden where a lax parser would find it. */
const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n';

const CASES: Array<[string, string, number, RegExp]> = [
  [
    'Content-Length + Transfer-Encoding (CL.TE)',
    `POST /orders HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    400,
    /Content-Length and Transfer-Encoding together/,
  ],
  [
    'Transfer-Encoding + Content-Length (TE.CL)',
    `POST /orders HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 40\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    400,
    /Content-Length and Transfer-Encoding together/,
  ],
  [
    'two differing Content-Length',
    `POST /orders HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`,
    400,
    /more than one Content-Length/,
  ],
  [
    'two equal Content-Length',
    'POST /orders HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}',
    400,
    /more than one Content-Length/,
  ],
  ['a Content-Length list', 'POST /orders HTTP/1.1\r\nHost: x\r\nContent-Length: 2, 2\r\n\r\n{}', 400, /invalid Content-Length/],
  ['a negative Content-Length', 'POST /orders HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n', 400, /invalid Content-Length/],
  [
    'Transfer-Encoding: chunked, gzip (chunked not last)',
    `POST /orders HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    400,
    /invalid Transfer-Encoding/,
  ],
  [
    'Transfer-Encoding: gzip (no chunked)',
    `POST /orders HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n${SMUGGLED}`,
    400,
    /invalid Transfer-Encoding/,
  ],
  [
    'Transfer-Encoding: xchunked',
    `POST /orders HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    400,
    /invalid Transfer-Encoding/,
  ],
  [
    'Transfer-Encoding twice',
    `POST /orders HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    400,
    /invalid Transfer-Encoding/,
  ],
  [
    '"Transfer-Encoding :" (space before the colon)',
    `POST /orders HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    400,
    /invalid character in a header/,
  ],
  [
    'a folded Transfer-Encoding',
    `POST /orders HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    400,
    /invalid character in a header/,
  ],
  [
    'Transfer-Encoding in an HTTP/1.0 request',
    `POST /orders HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    400,
    /Transfer-Encoding in an HTTP\/1\.0 request/,
  ],
  ['lines ended by a bare LF', 'GET /products HTTP/1.1\nHost: x\n\n', 400, /invalid HTTP version|malformed request/],
  [
    'headers over large_client_header_buffers',
    `GET /products HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(9000)}\r\n\r\n`,
    431,
    /larger than large_client_header_buffers/,
  ],
  [
    'a cookie over large_client_header_buffers',
    `GET /products HTTP/1.1\r\nHost: x\r\nCookie: tenk_session=${'b'.repeat(9000)}\r\n\r\n`,
    431,
    /larger than large_client_header_buffers/,
  ],
  [
    'a request line over large_client_header_buffers',
    `GET /products?q=${'c'.repeat(9000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
    431,
    /larger than large_client_header_buffers/,
  ],
  [
    'a body over client_max_body_size (by Content-Length)',
    `POST /orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2048\r\n\r\n{"a":"`,
    413,
    /larger than client_max_body_size \(1024 bytes\)/,
  ],
];

describe('the front door', () => {
  it.each(CASES)('refuses %s with its 4xx, closes, and sends nothing upstream', async (_name, request, status, reason) => {
    const answer = await rawExchange(lb.balancer.port(), request);
    expect(answer.text).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(answer.text).toMatch(reason);
    expect(answer.text).toMatch(/\r\nConnection: close\r\n/i);
    // One answer only: nothing behind the bad framing was read as a second request.
    expect(answer.text.match(/HTTP\/1\.1 \d{3}/g)).toHaveLength(1);
    expect(answer.closed).toBe(true);
    expect(api.requests).toEqual([]);
    // The door still serves everyone else.
    expect((await fetch(`${lb.url}/products`)).status).toBe(200);
  });

  it('still accepts well-framed bodies: one Content-Length, or chunked', async () => {
    const plain = await rawExchange(
      lb.balancer.port(),
      'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}',
    );
    expect(plain.text).toMatch(/^HTTP\/1\.1 200 /);
    const chunked = await rawExchange(
      lb.balancer.port(),
      'POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n',
    );
    expect(chunked.text).toMatch(/^HTTP\/1\.1 200 /);
    expect(api.requests.map((request) => request.url)).toEqual(['/upload', '/upload']);
  });
});

/** Sends raw bytes; resolves with what came back and whether the balancer closed the connection. */
function rawExchange(port: number, text: string, waitMs = 3000): Promise<{ text: string; closed: boolean }> {
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

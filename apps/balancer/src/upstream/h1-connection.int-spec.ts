import net from 'node:net';
import { H1Connection, h1Eligible, type H1Handler, type H1Request } from './h1-connection';

/**
 * tenk's own upstream connection against raw sockets: what it writes, how it reads answers
 * (framing, interim responses, HEAD, close-delimited bodies), when it is reused and when it is
 * not (unsolicited bytes, Connection: close, the peer's Keep-Alive), and the undici error codes
 * it reports (passive health and proxy_next_upstream read them).
 */

interface Outcome {
  connected: boolean;
  status: number;
  headers: string[];
  body: string;
  error: (Error & { code?: string }) | null;
}

/** Runs one request to completion (or error) and tells what the handler heard. */
function send(connection: H1Connection, request: Partial<H1Request> = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const outcome: Outcome = { connected: false, status: 0, headers: [], body: '', error: null };
    const handler: H1Handler = {
      onConnect: () => {
        outcome.connected = true;
      },
      onHeaders: (status, headers) => {
        if (status >= 200) {
          outcome.status = status;
          outcome.headers = headers;
        }
        return true;
      },
      onData: (chunk) => {
        outcome.body += chunk.toString('latin1');
        return true;
      },
      onComplete: () => resolve(outcome),
      onError: (error) => {
        outcome.error = error;
        resolve(outcome);
      },
    };
    connection.dispatch(
      { method: 'GET', path: '/', headers: ['Host', 'shop'], body: null, readTimeoutMs: 0, reset: false, ...request },
      handler,
    );
  });
}

/** A raw upstream: `answer(request bytes, n)` gives the bytes to write back for the n-th request on a connection (null: say nothing). */
async function rawPeer(answer: (request: string, n: number, socket: net.Socket) => string | null): Promise<{
  port: number;
  requests: string[];
  connections: () => number;
  close: () => Promise<void>;
}> {
  const requests: string[] = [];
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    let n = 0;
    socket.on('data', (chunk: Buffer) => {
      const text = chunk.toString('latin1');
      requests.push(text);
      const reply = answer(text, n++, socket);
      if (reply !== null) socket.write(reply);
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    requests,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello';
const peers: Array<{ close: () => Promise<void> }> = [];
const connections: H1Connection[] = [];

function connect(port: number, overrides: Partial<ConstructorParameters<typeof H1Connection>[0]> = {}): H1Connection {
  const connection = new H1Connection({
    host: '127.0.0.1',
    port,
    connectTimeoutMs: 2000,
    keepAliveTimeoutMs: 4000,
    keepAliveMaxTimeoutMs: 600_000,
    maxRequests: 0,
    ...overrides,
  });
  connections.push(connection);
  return connection;
}

async function peer(answer: Parameters<typeof rawPeer>[0]): ReturnType<typeof rawPeer> {
  const started = await rawPeer(answer);
  peers.push(started);
  return started;
}

/** Resolves once the connection has closed (or after `ms`). */
async function closedWithin(connection: H1Connection, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (!connection.destroyed && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 10));
  return connection.destroyed;
}

afterEach(async () => {
  for (const connection of connections.splice(0)) connection.close();
  await Promise.all(peers.splice(0).map((started) => started.close()));
});

describe('H1Connection', () => {
  it('writes one head (method, path, headers as given, keep-alive) and reuses the connection for the next request', async () => {
    const up = await peer(() => OK);
    const connection = connect(up.port);
    const first = await send(connection, { path: '/products?limit=20', headers: ['Host', 'shop', 'X-Request-Id', 'abc'] });
    expect(first).toMatchObject({ connected: true, status: 200, body: 'hello', error: null });
    expect(first.headers).toEqual(['Content-Length', '5']);
    expect(up.requests[0]).toBe('GET /products?limit=20 HTTP/1.1\r\nHost: shop\r\nX-Request-Id: abc\r\nconnection: keep-alive\r\n\r\n');
    const second = await send(connection);
    expect(second.body).toBe('hello');
    expect(up.connections()).toBe(1);
    expect(connection.destroyed).toBe(false);
  });

  it('sends a buffered body with its own Content-Length (the client header is replaced) and 0 for an empty POST', async () => {
    const up = await peer(() => OK);
    const connection = connect(up.port);
    await send(connection, { method: 'POST', headers: ['Host', 'shop', 'Content-Length', '999'], body: Buffer.from('{"a":1}') });
    expect(up.requests[0]).toBe('POST / HTTP/1.1\r\nHost: shop\r\nconnection: keep-alive\r\ncontent-length: 7\r\n\r\n{"a":1}');
    await send(connection, { method: 'POST', headers: [] });
    expect(up.requests[1]).toBe(`POST / HTTP/1.1\r\nhost: 127.0.0.1:${up.port}\r\nconnection: keep-alive\r\ncontent-length: 0\r\n\r\n`);
  });

  it('reads chunked bodies, skips interim 1xx answers, and reads no body after HEAD', async () => {
    const up = await peer((request) =>
      request.startsWith('HEAD')
        ? 'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n'
        : 'HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n',
    );
    const connection = connect(up.port);
    const chunked = await send(connection);
    expect(chunked).toMatchObject({ status: 200, body: 'abcde', error: null });
    const head = await send(connection, { method: 'HEAD' });
    expect(head).toMatchObject({ status: 200, body: '', error: null });
    expect(connection.destroyed).toBe(false);
  });

  it('accepts a head ended by bare LFs (as nginx) and refuses a bare CR with llhttp code', async () => {
    const lf = await peer(() => 'HTTP/1.1 200 OK\nContent-Length: 2\n\nok');
    expect(await send(connect(lf.port))).toMatchObject({ status: 200, body: 'ok', error: null });
    const cr = await peer(() => 'HTTP/1.1 200 OK\rX-A: b\r\nContent-Length: 0\r\n\r\n');
    const refused = await send(connect(cr.port));
    expect(refused.error?.code).toMatch(/^HPE_/);
  });

  it('completes a body delimited by the connection closing, and does not keep that connection', async () => {
    const up = await peer((_request, _n, socket) => {
      socket.end('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end');
      return null;
    });
    const connection = connect(up.port);
    expect(await send(connection)).toMatchObject({ status: 200, body: 'until the end', error: null });
    expect(await closedWithin(connection, 1000)).toBe(true);
  });

  it('is not reused after Connection: close, or when the peer keeps connections less than the 2 s threshold', async () => {
    const closing = await peer(() => 'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    const a = connect(closing.port);
    await send(a);
    expect(a.destroyed).toBe(true);
    const brief = await peer(() => 'HTTP/1.1 200 OK\r\nKeep-Alive: timeout=1\r\nContent-Length: 0\r\n\r\n');
    const b = connect(brief.port);
    await send(b);
    expect(b.destroyed).toBe(true);
  });

  it('asks for close on the last request keepalive_requests allows, and when told to reset', async () => {
    const up = await peer(() => OK);
    const limited = connect(up.port, { maxRequests: 2 });
    await send(limited);
    await send(limited);
    expect(up.requests[1]).toContain('connection: close\r\n');
    expect(limited.destroyed).toBe(true);
    const reset = connect(up.port);
    await send(reset, { reset: true });
    expect(up.requests[2]).toContain('connection: close\r\n');
    expect(reset.destroyed).toBe(true);
  });

  it('closes a connection that carried bytes after its response (a second, unsolicited answer): never read as the next answer', async () => {
    const up = await peer((_request, n) => (n === 0 ? OK + OK.replace('hello', 'EVIL!') : OK));
    const connection = connect(up.port);
    expect((await send(connection)).body).toBe('hello');
    expect(await closedWithin(connection, 1000)).toBe(true);
    const next = await send(connection);
    expect(next.error?.code).toBe('UND_ERR_SOCKET');
    expect(next.connected).toBe(false);
  });

  it('closes an idle connection the peer writes to', async () => {
    let talk: net.Socket | null = null;
    const up = await peer((_request, _n, socket) => {
      talk = socket;
      return OK;
    });
    const connection = connect(up.port);
    await send(connection);
    (talk as net.Socket | null)?.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    expect(await closedWithin(connection, 1000)).toBe(true);
  });

  it('reports a refused connection (not sent: onConnect never called), a read timeout and a peer closing mid-answer with undici codes', async () => {
    const gone = await peer(() => null);
    const port = gone.port;
    await gone.close();
    const refused = await send(connect(port));
    expect(refused).toMatchObject({ connected: false });
    expect(refused.error?.code).toBe('ECONNREFUSED');

    const silent = await peer(() => null);
    const waited = await send(connect(silent.port), { readTimeoutMs: 200 });
    expect(waited.connected).toBe(true);
    expect(waited.error?.code).toBe('UND_ERR_HEADERS_TIMEOUT');

    const stalls = await peer(() => 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc');
    expect((await send(connect(stalls.port), { readTimeoutMs: 200 })).error?.code).toBe('UND_ERR_BODY_TIMEOUT');

    const cut = await peer((_request, _n, socket) => {
      socket.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc');
      return null;
    });
    expect((await send(connect(cut.port))).error?.code).toBe('UND_ERR_SOCKET');
  });

  it('a read timeout longer than keepalive_timeout: counted over idle-timer periods, reset by every byte read', async () => {
    const silent = await peer(() => null);
    const started = Date.now();
    const waited = await send(connect(silent.port, { keepAliveTimeoutMs: 100 }), { readTimeoutMs: 350 });
    expect(waited.error?.code).toBe('UND_ERR_HEADERS_TIMEOUT');
    expect(Date.now() - started).toBeGreaterThanOrEqual(340);

    // A byte every 60 ms for ~600 ms: never 350 ms without one, so no timeout.
    const trickle = await peer((_request, _n, socket) => {
      const body = 'abcdefghij';
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`);
      let i = 0;
      const timer = setInterval(() => {
        if (socket.destroyed || i === body.length) return clearInterval(timer);
        socket.write(body[i++]);
      }, 60);
      return null;
    });
    const slow = await send(connect(trickle.port, { keepAliveTimeoutMs: 100 }), { readTimeoutMs: 350 });
    expect(slow).toMatchObject({ status: 200, body: 'abcdefghij', error: null });

    // No read timeout at all (0): the idle timer never fails a request that waits.
    const late = await peer((_request, _n, socket) => {
      setTimeout(() => socket.write(OK), 300);
      return null;
    });
    expect(await send(connect(late.port, { keepAliveTimeoutMs: 100 }), { readTimeoutMs: 0 })).toMatchObject({ body: 'hello', error: null });
  });

  it("does not count time paused for a slow client as the peer's silence", async () => {
    const up = await peer((_request, _n, socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabc');
      setTimeout(() => socket.write('def'), 50);
      return null;
    });
    const connection = connect(up.port, { keepAliveTimeoutMs: 100 });
    const outcome = await new Promise<{ body: string; error: Error | null }>((resolve) => {
      let body = '';
      let resume: () => void = () => undefined;
      connection.dispatch(
        { method: 'GET', path: '/', headers: ['Host', 'shop'], body: null, readTimeoutMs: 250, reset: false },
        {
          onConnect: () => undefined,
          onHeaders: (_status, _headers, resumeReading) => {
            resume = resumeReading;
            return true;
          },
          onData: (chunk) => {
            body += chunk.toString('latin1');
            if (body.length > 3) return true;
            // The client is slow: reading stops for 600 ms (more than proxy_read_timeout).
            setTimeout(() => resume(), 600);
            return false;
          },
          onComplete: () => resolve({ body, error: null }),
          onError: (error) => resolve({ body, error }),
        },
      );
    });
    expect(outcome).toEqual({ body: 'abcdef', error: null });
  });

  it('an idle connection closes after keepalive_timeout', async () => {
    const up = await peer(() => OK);
    const connection = connect(up.port, { keepAliveTimeoutMs: 100 });
    await send(connection);
    expect(connection.destroyed).toBe(false);
    expect(await closedWithin(connection, 2000)).toBe(true);
  });
});

describe('h1Eligible', () => {
  it('takes plain headers, leaves framing and connection headers and unsafe values to undici', () => {
    expect(h1Eligible(['Host', 'shop', 'X-Forwarded-For', '1.2.3.4', 'Content-Length', '3'])).toBe(true);
    for (const name of ['Connection', 'keep-alive', 'Upgrade', 'Transfer-Encoding', 'Expect']) expect(h1Eligible([name, 'x'])).toBe(false);
    expect(h1Eligible(['X-Uri', '/a\r\nX-Injected: 1'])).toBe(false);
    expect(h1Eligible(['Bad Name', 'x'])).toBe(false);
  });
});

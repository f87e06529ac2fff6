import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { LoadShedder, sheddingMiddleware } from '@tenk/resilience';
import { shedPriorityOf } from './shed-priorities';

/**
 * The api's load shedding with a really blocked event loop: node's own server, the real
 * sampler (perf_hooks), the api's priority table. A handler busy-waits 300 ms at a time, again
 * and again (an overloaded loop), until the sampler has seen it late long enough; new low- and
 * normal-priority requests are then refused with 503 + Retry-After, checkout and health are
 * served, and a request already in flight finishes. One block alone sheds nothing.
 */
describe('load shedding with a blocked event loop', () => {
  let server: http.Server;
  let origin: string;
  let shedder: LoadShedder;
  const agent = new Agent({ connections: 16 });
  let releaseInFlight: () => void = () => undefined;

  beforeAll(async () => {
    // Normal bound 200 ms: low priority is shed past 100 ms, checkout only past 800 ms (far from
    // the 300 ms block, so a busy test machine's own pauses do not blur the verdict). A long
    // interval keeps the verdict for a second, so the test can send its requests under it.
    shedder = new LoadShedder({ enabled: true, delayMs: 200, utilization: 1, intervalMs: 1000, retryAfterSeconds: 2 });
    const shed = sheddingMiddleware(shedder, shedPriorityOf);
    server = http.createServer((req: IncomingMessage, res: ServerResponse) =>
      shed(req, res, () => {
        if (req.url === '/users') {
          releaseInFlight = () => res.end('finished');
          return;
        }
        req.resume();
        if (req.url === '/admin/block') {
          // A real saturated loop: nothing else runs for 300 ms; the timers (the sampler's) run
          // between two blocks, as they would between two requests of an overloaded instance.
          const deadline = Date.now() + 10_000;
          const overloaded = () => {
            blockFor(300);
            if (!shedder.isShedding('low') && Date.now() < deadline) setTimeout(overloaded, 0);
            else res.end('served');
          };
          overloaded();
          return;
        }
        if (req.url === '/admin/pause') blockFor(300);
        res.end('served');
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    shedder.start();
  });

  afterAll(async () => {
    shedder.stop();
    await agent.close();
    await new Promise((resolve) => server.close(resolve));
  });

  function blockFor(ms: number): void {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      // Busy: nothing else runs.
    }
  }

  async function waitFor(condition: () => boolean): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(condition()).toBe(true);
  }

  async function send(method: string, path: string): Promise<{ status: number; retryAfter: unknown; body: string }> {
    const response = await request(`${origin}${path}`, {
      method: method as 'GET',
      dispatcher: agent,
      body: method === 'POST' ? '{}' : undefined,
    });
    return { status: response.statusCode, retryAfter: response.headers['retry-after'], body: await response.body.text() };
  }

  it('serves everything after one pause of the loop (a garbage collection, a cold start)', async () => {
    // The sampler runs while requests flow (it may have paused since it started): one request
    // wakes it. Node's delay monitor records nothing for its first tick after it starts or is
    // reset (each sample resets it), so the pause is made just after a sample, once the monitor
    // has ticked again: well inside the next 1 s interval, where it is measured.
    expect((await send('GET', '/products?limit=1')).status).toBe(200);
    await waitFor(() => shedder.sampling);
    const before = shedder.last;
    await waitFor(() => shedder.last !== before);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await send('GET', '/admin/pause')).status).toBe(200);
    // The sample that saw the pause has been taken (interval 1 s), and the next one too.
    await waitFor(() => shedder.last.delayMs >= 250);
    const [browse, session] = await Promise.all([send('GET', '/products?limit=20'), send('GET', '/auth/session')]);
    expect([browse.status, session.status, shedder.isShedding('low')]).toEqual([200, 200, false]);
    await waitFor(() => shedder.last.delayMs < 250);
  }, 20_000);

  it('refuses new browsing at once while the loop stays late, keeps checkout, health and what is in flight', async () => {
    // A sign-up in flight before the loop blocks (its handler answers when told to).
    const inFlight = send('POST', '/users');
    expect((await send('GET', '/admin/block')).status).toBe(200);
    expect(shedder.isShedding('low')).toBe(true);

    const [browse, session, checkout, signIn, ready] = await Promise.all([
      send('GET', '/products?limit=20'),
      send('GET', '/auth/session'),
      send('POST', '/orders'),
      send('POST', '/auth/login'),
      send('GET', '/health/ready'),
    ]);
    expect(browse).toMatchObject({ status: 503, retryAfter: '2' });
    expect(JSON.parse(browse.body)).toMatchObject({ statusCode: 503, retryAfterSeconds: 2 });
    expect(session.status).toBe(503);
    expect([checkout.status, signIn.status, ready.status]).toEqual([200, 200, 200]);
    releaseInFlight();
    expect((await inFlight).body).toBe('finished');
    expect(shedder.shed[0]).toBeGreaterThanOrEqual(1);
  }, 20_000);
});

describe('shedPriorityOf', () => {
  it.each([
    ['GET', '/health/ready', 'exempt'],
    ['GET', '/health/live', 'exempt'],
    ['GET', '/metrics', 'exempt'],
    ['POST', '/orders', 'high'],
    ['POST', '/auth/login', 'high'],
    ['POST', '/users', 'high'],
    ['GET', '/products', 'low'],
    ['GET', '/products/42', 'low'],
    ['GET', '/images/products/1.webp', 'low'],
    ['GET', '/videos/abc/hls/index.m3u8', 'low'],
    ['POST', '/reports', 'low'],
    ['GET', '/reports/7/download', 'low'],
    ['GET', '/auth/session', 'normal'],
    ['GET', '/orders/9', 'normal'],
    ['POST', '/videos', 'normal'],
  ])('%s %s is %s', (method, path, priority) => {
    expect(shedPriorityOf(method, path)).toBe(priority);
  });
});

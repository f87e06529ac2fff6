import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { storage } from 'nestjs-pino/storage';
import pino from 'pino';
import { accessLog } from './access-log';

describe('accessLog', () => {
  const lines: Array<Record<string, unknown>> = [];
  let server: Server;
  let origin: string;

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const middleware = accessLog(pino({ base: null }, sink));
    server = createServer((req, res) =>
      middleware(req, res, () => {
        // A line written while the request runs, as PinoLogger writes it (and PinoLogger.assign() binds more fields).
        const store = storage.getStore();
        if (store && req.url?.includes('assign')) store.logger = store.logger.child({ user: 'u-1' });
        if (!req.url?.includes('silent')) store?.logger.info('inside');
        res.statusCode = req.url === '/boom' ? 500 : req.url === '/missing' ? 404 : 200;
        res.end('ok');
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => (lines.length = 0));

  const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

  it('writes one access line with the request id, method, url, address, status and time', async () => {
    const response = await fetch(`${origin}/products?limit=2`, { headers: { 'x-request-id': 'r-42' } });
    expect(response.headers.get('x-request-id')).toBe('r-42');
    await settle();
    expect(lines).toEqual([
      expect.objectContaining({ msg: 'inside', req: expect.objectContaining({ id: 'r-42' }) }),
      expect.objectContaining({
        level: 30,
        msg: 'request completed',
        req: { id: 'r-42', method: 'GET', url: '/products?limit=2', remoteAddress: '127.0.0.1' },
        res: { statusCode: 200 },
        responseTime: expect.any(Number),
      }),
    ]);
  });

  it('logs a 4xx at warn and a 5xx at error as "request errored"; makes an id when the caller sent none or a bad one', async () => {
    const missing = await fetch(`${origin}/missing`, { headers: { 'x-request-id': 'no spaces allowed' } });
    await fetch(`${origin}/boom`);
    await settle();
    expect(missing.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const access = lines.filter((line) => line['msg'] !== 'inside');
    expect(access.map((line) => [line['level'], line['msg'], (line['res'] as { statusCode: number }).statusCode])).toEqual([
      [40, 'request completed', 404],
      [50, 'request errored', 500],
    ]);
  });

  it('writes the same access line for a request that logged nothing while it ran', async () => {
    await fetch(`${origin}/products?silent=1`, { headers: { 'x-request-id': 'r-43' } });
    await settle();
    expect(lines).toEqual([
      expect.objectContaining({
        level: 30,
        msg: 'request completed',
        req: { id: 'r-43', method: 'GET', url: '/products?silent=1', remoteAddress: '127.0.0.1' },
        res: { statusCode: 200 },
        responseTime: expect.any(Number),
      }),
    ]);
  });

  it("keeps fields a line inside the request bound (PinoLogger.assign) on that request's later lines", async () => {
    await fetch(`${origin}/assign`, { headers: { 'x-request-id': 'r-44' } });
    await settle();
    expect(lines[0]).toEqual(expect.objectContaining({ msg: 'inside', user: 'u-1', req: expect.objectContaining({ id: 'r-44' }) }));
  });

  it('writes no access line and binds no request logger for probes and scrapes', async () => {
    const response = await fetch(`${origin}/health/live`);
    await fetch(`${origin}/metrics`);
    await settle();
    expect(response.headers.get('x-request-id')).toBeTruthy();
    expect(lines).toEqual([]);
  });
});

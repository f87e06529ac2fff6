import { type INestApplication, ValidationPipe } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '@tenk/config';
import { checkControlRequest, controlRequest, createControlToken, HOSTILE_CONTROL_CALLS, type ControlCall } from '@tenk/control-plane';
import { SwitchesService } from '@tenk/switches';
import { AppModule } from './app.module';
import { MapCollector } from './map-collector';
import { createHttpAdapter } from '@tenk/observability';

interface SeenCall {
  method: string;
  url: string;
  status: number;
  body: string;
}

/**
 * A launcher's control port as far as the map is concerned: it applies the same check as the
 * real one (@tenk/control-plane) with its own token, and records what reached it.
 */
async function startLauncher(token: string): Promise<{ port: number; calls: SeenCall[]; close(): Promise<void> }> {
  const calls: SeenCall[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const refusal = checkControlRequest(req, { token });
      const status = refusal?.status ?? 200;
      calls.push({ method: req.method ?? '', url: req.url ?? '', status, body });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(refusal ? { error: refusal.message } : { name: 'api-1', state: 'crashed' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, calls, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe("the map's controls, against calls any web page can make", () => {
  const token = createControlToken();
  let app: INestApplication;
  let base: string;
  let launcher: Awaited<ReturnType<typeof startLauncher>>;
  const switched: Array<[string, boolean]> = [];

  async function startMap(mapToken: string): Promise<INestApplication> {
    const config = loadConfig({ ...process.env, TENK_SHOP_CONTROL_PORT: String(launcher.port) });
    const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(config, { token: mapToken })] })
      // The switch store is Redis, and the collector reads the running shop: neither is under test here.
      .overrideProvider(SwitchesService)
      .useValue({ set: async (name: string, on: boolean) => (switched.push([name, on]), { [name]: on }) })
      .overrideProvider(MapCollector)
      .useValue({})
      .compile();
    const started = moduleRef.createNestApplication(createHttpAdapter(), { logger: false });
    started.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true }));
    await started.listen(0, '127.0.0.1');
    return started;
  }

  beforeAll(async () => {
    launcher = await startLauncher(token);
    app = await startMap(token);
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await app.close();
    await launcher.close();
  });
  beforeEach(() => {
    switched.length = 0;
    launcher.calls.length = 0;
  });

  const cacheOff = (): ControlCall => ({ method: 'PUT', url: `${base}/controls/switches/cache`, token, body: '{"on":false}' });
  const killApi = (): ControlCall => ({ method: 'POST', url: `${base}/controls/processes/api-1/kill`, token, body: '{}' });

  it.each(HOSTILE_CONTROL_CALLS)('refuses $name to turn a pattern off', async (hostile) => {
    const answer = await controlRequest(hostile.from(cacheOff()));
    expect(answer.status).toBe(hostile.status);
    expect((JSON.parse(answer.body) as { message: string }).message).toMatch(hostile.message);
    expect(switched).toEqual([]);
  });

  it.each(HOSTILE_CONTROL_CALLS)('refuses $name to kill a process, and the launcher hears nothing', async (hostile) => {
    const answer = await controlRequest(hostile.from(killApi()));
    expect(answer.status).toBe(hostile.status);
    expect(launcher.calls).toEqual([]);
  });

  it('turns a pattern off when the call is right', async () => {
    const answer = await controlRequest(cacheOff());
    expect(answer.status).toBe(200);
    expect(switched).toEqual([['cache', false]]);
  });

  it("kills a process through the launcher, forwarding the run's token", async () => {
    const answer = await controlRequest(killApi());
    expect(answer.status).toBe(200);
    expect(launcher.calls).toEqual([{ method: 'POST', url: '/processes/api-1/kill', status: 200, body: '{}' }]);
  });

  it("says so when the launcher refuses the map (a map started with another run's token)", async () => {
    const staleToken = createControlToken();
    const stale = await startMap(staleToken);
    try {
      const port = (stale.getHttpServer().address() as AddressInfo).port;
      const forwarded = await controlRequest({
        ...killApi(),
        url: `http://127.0.0.1:${port}/controls/processes/api-1/kill`,
        token: staleToken,
      });
      expect(forwarded.status).toBe(502);
      expect((JSON.parse(forwarded.body) as { message: string }).message).toMatch(/^launcher refused the map's call: wrong control token/);
    } finally {
      await stale.close();
    }
  });

  it('keeps its trace pages to loopback too: a foreign Host or a hostile id is refused before Jaeger is asked', async () => {
    for (const path of ['/traces', '/traces/4bf92f3577b34da6a3ce929d0e0e4736', '/traces/4bf92f3577b34da6a3ce929d0e0e4736/json']) {
      const rebound = await controlRequest({ method: 'GET', url: `${base}${path}`, contentType: null, host: 'evil.example:8082' });
      expect(rebound.status).toBe(403);
      expect((JSON.parse(rebound.body) as { message: string }).message).toMatch(/^Host "evil\.example:8082" is not this server/);
    }
    for (const path of ['/traces/not-a-trace-id', '/traces/%3Cscript%3E', '/traces?min=-1', '/traces?min=1e9']) {
      const hostile = await controlRequest({ method: 'GET', url: `${base}${path}`, contentType: null });
      expect(hostile.status).toBe(400);
      // The refusal names the problem as JSON, never as the HTML page an echoed id could script.
      expect(hostile.headers['content-type']).toMatch(/^application\/json/);
      expect((JSON.parse(hostile.body) as { message: string }).message).toMatch(/^(not a trace id|min must be)/);
    }
  });

  it('serves its page on loopback with the token script, and not under a foreign Host', async () => {
    const page = await controlRequest({ method: 'GET', url: `${base}/`, contentType: null });
    expect(page.status).toBe(200);
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.body).toContain("const fromUrl = params.get('token');");
    expect(page.body).not.toContain('/* control token script */');
    expect((await controlRequest({ method: 'GET', url: `${base}/`, contentType: null, host: 'evil.example:8082' })).status).toBe(403);
  });
});

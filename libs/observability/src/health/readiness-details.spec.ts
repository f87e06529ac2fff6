/**
 * Who reads what on /health/ready and /metrics: a caller on this machine at the instance's own
 * port reads everything; a request a proxy forwarded (the public door) reads `up` or `down`
 * and finds no /metrics, unless the app admits it (the api: admins).
 */
import { Injectable, Module, type INestApplication, type OnModuleInit } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { AddressInfo } from 'node:net';
import { ConfigModule, loadConfig } from '@tenk/config';
import { isDirectFromLoopback, isForwarded, isLoopbackAddress } from '../direct-request';
import { ObservabilityModule } from '../observability.module';
import { HealthRegistry } from './health-registry';
import { createHttpAdapter } from '../http/http-adapter';

const state = { primaryDown: true };

@Injectable()
class Checks implements OnModuleInit {
  constructor(private readonly registry: HealthRegistry) {}
  onModuleInit(): void {
    this.registry.register({
      name: 'postgres-primary',
      critical: true,
      check: async () => {
        if (state.primaryDown) throw new Error('connect ECONNREFUSED 10.20.30.40:5432 (user shop)');
        return { details: { host: '10.20.30.40' } };
      },
    });
    this.registry.register({
      name: 'redis-cache',
      critical: false,
      check: async () => ({ degraded: true, details: { host: '10.20.30.41' } }),
    });
  }
}

@Module({ providers: [Checks] })
class ChecksModule {}

describe('/health/ready and /metrics: details on the instance port, up or down for the public', () => {
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot(loadConfig({ TENK_LOG_LEVEL: 'silent' })),
        ObservabilityModule.forRoot({ service: 'readiness-spec', showReadinessDetailsTo: (req) => req.headers['x-spec-admin'] === 'yes' }),
        ChecksModule,
      ],
    }).compile();
    app = moduleRef.createNestApplication(createHttpAdapter(), { logger: false });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(() => app.close());

  const get = async (path: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${base}${path}`, { headers });
    return { status: response.status, text: await response.text() };
  };
  const viaProxy = { 'X-Forwarded-For': '203.0.113.9' };

  it('shows the dependency details to a direct caller on loopback', async () => {
    state.primaryDown = true;
    const ready = await get('/health/ready');
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.text)).toMatchObject({
      status: 'error',
      error: { 'postgres-primary': { status: 'down', message: expect.stringContaining('10.20.30.40:5432') } },
    });
  });

  it('answers a forwarded request with down or up only: no names, hosts or messages', async () => {
    state.primaryDown = true;
    const down = await get('/health/ready', viaProxy);
    expect([down.status, JSON.parse(down.text)]).toEqual([503, { status: 'down' }]);
    state.primaryDown = false;
    // Degraded (the cache Redis) is still up to the public: which dependency is not said.
    const up = await get('/health/ready', viaProxy);
    expect([up.status, JSON.parse(up.text)]).toEqual([200, { status: 'up' }]);
    for (const header of [{ Forwarded: 'for=203.0.113.9' }, { 'X-Real-IP': '203.0.113.9' }] as Array<Record<string, string>>) {
      expect(JSON.parse((await get('/health/ready', header)).text)).toEqual({ status: 'up' });
    }
  });

  it('shows the details through a proxy to whom the app admits (the api: admins)', async () => {
    state.primaryDown = false;
    const ready = await get('/health/ready', { ...viaProxy, 'X-Spec-Admin': 'yes' });
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.text)).toMatchObject({
      status: 'degraded',
      degraded: ['redis-cache'],
      info: { 'postgres-primary': { host: '10.20.30.40' } },
    });
  });

  it('serves /metrics on the instance port and answers a forwarded request as if it did not exist', async () => {
    const direct = await get('/metrics');
    expect(direct.status).toBe(200);
    expect(direct.text).toContain('# TYPE');
    for (const path of ['/metrics', '/METRICS', '/metrics/']) {
      const forwarded = await get(path, viaProxy);
      expect([forwarded.status, JSON.parse(forwarded.text)]).toEqual([
        404,
        { statusCode: 404, error: 'Not Found', message: `Cannot GET ${path}` },
      ]);
    }
  });
});

describe('direct-request', () => {
  const req = (remoteAddress: string | undefined, headers: Record<string, string> = {}) =>
    ({ socket: { remoteAddress }, headers }) as never;

  it('knows loopback addresses, IPv4, IPv6 and IPv4-mapped', () => {
    for (const address of ['127.0.0.1', '127.3.4.5', '::1', '::ffff:127.0.0.1']) expect(isLoopbackAddress(address)).toBe(true);
    for (const address of ['10.0.0.1', '::ffff:10.0.0.1', '172.30.80.10', '1270.0.0.1', undefined])
      expect(isLoopbackAddress(address)).toBe(false);
  });

  it('calls a request direct only from loopback and with no forwarding header', () => {
    expect(isDirectFromLoopback(req('127.0.0.1'))).toBe(true);
    expect(isDirectFromLoopback(req('172.30.80.10'))).toBe(false);
    expect(isDirectFromLoopback(req('127.0.0.1', { 'x-forwarded-for': '127.0.0.1' }))).toBe(false);
    expect(isForwarded(req('10.0.0.1', { forwarded: 'for=1.2.3.4' }))).toBe(true);
    expect(isForwarded(req('10.0.0.1'))).toBe(false);
  });
});

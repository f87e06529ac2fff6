/**
 * The shop's own tenk.conf (apps/balancer/conf), read as the balancer reads it: what the public
 * door sends where. Operators' pages (Prometheus metrics, the API docs) are not proxied to the
 * public; they live on each api instance's own port.
 */
import path from 'node:path';
import { RequestHeaderPlan } from '../http/header-plans';
import { LocationRouter } from '../http/location-router';
import { normalizePath } from '../http/uri';
import { loadConfig } from './load-config';
import type { LocationHandler } from './schema';

const config = loadConfig(path.join(__dirname, '../../conf/tenk.conf'), { env: {} });
const [server] = config.servers;
const router = new LocationRouter(server.locations.map((location) => ({ match: location.match, value: location.handler })));
/** What the balancer does with a request target, after normalizing it as it does. */
const handlerFor = (target: string): LocationHandler | null => router.match(normalizePath(target) ?? '/') ?? null;

describe("tenk.conf's public door", () => {
  it.each([
    '/metrics',
    '/metrics/',
    '/METRICS',
    '/Metrics/x',
    '//metrics',
    '/./metrics',
    '/%6detrics',
    '/docs',
    '/docs/',
    '/docs/swagger-ui-init.js',
    '/docs-json',
    '/DOCS-JSON',
    '/docs-yaml',
    '/products/../docs-json',
  ])('answers %s with 404 itself (never proxied to an api)', (target) => {
    expect(handlerFor(target)).toEqual({ kind: 'return', code: 404, text: null });
  });

  it.each([
    '/products',
    '/products?limit=1',
    '/health/ready',
    '/health/live',
    '/videos',
    '/auth/login',
    '/documents',
    '/metricsfoo',
    '/admin/queues',
  ])('proxies %s to the api', (target) => {
    expect(handlerFor(target.replace(/\?.*$/, ''))).toMatchObject({ kind: 'proxy', upstream: 'api' });
  });

  it('keeps the storefront and the balancer health where they were', () => {
    expect(handlerFor('/assets/index-abc.js')?.kind).toBe('static');
    expect(handlerFor('/')?.kind).toBe('static');
    expect(handlerFor('/balancer/health')).toMatchObject({ kind: 'return', code: 200 });
  });

  it('lets upgrades (WebSocket) through nowhere: nothing behind the balancer upgrades', () => {
    for (const location of server.locations) expect(new RequestHeaderPlan(location.settings.proxySetHeaders).upgrade).toBeNull();
  });
});

describe("tenk.conf's admission control", () => {
  it('bounds what each api instance has in flight and queues a bounded number for a bounded time', () => {
    const api = config.upstreams.find((upstream) => upstream.name === 'api');
    expect(api?.servers.every((peer) => peer.maxConns > 0)).toBe(true);
    expect(api?.queue).toMatchObject({ size: 512, timeoutMs: 500 });
    expect(api?.failOnReadTimeout).toBe(false);
  });
});

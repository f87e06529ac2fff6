/**
 * What the public door shows (issue 12, section 5): through the balancer, as an anonymous
 * visitor and as a customer, Prometheus metrics and the API docs are 404 however the path is
 * spelled, /health/ready says up or down and nothing about the dependencies, and the
 * storefront's files name no source map and have none. On each instance's own port everything
 * is still there for operators: Prometheus, the map, the docs, readiness details; and an admin
 * reads the details through the balancer too.
 */
import { instanceUrl, mapUrl, shopUrl } from '../support/e2e-env';
import { ShopClient } from './access-support';
import { config } from './queues-support';

const OPERATOR_PATHS = [
  '/metrics',
  '/metrics/',
  '/METRICS',
  '/%6detrics',
  '//metrics',
  '/docs',
  '/docs/',
  '/Docs/',
  '/docs/swagger-ui-init.js',
  '/docs-json',
  '/DOCS-JSON',
  '/docs-yaml',
  '/products/../docs-json',
];
/** Words only the real pages have: a metric's TYPE line, the OpenAPI document, Swagger UI. */
const LEAKS = /# TYPE|openapi|swagger|tenk shop api/i;
/** Words only readiness details have. */
const DETAILS = /postgres|redis|kafka|storage|latency|message|127\.0\.0\.1|ECONN/i;

const get = async (url: string, headers: Record<string, string> = {}) => {
  const response = await fetch(url, { headers, redirect: 'manual' });
  return { status: response.status, text: await response.text(), type: response.headers.get('content-type') ?? '' };
};

describe('security: what the public door shows', () => {
  const apiPorts = Array.from({ length: config.services.apiInstances }, (_, i) => config.services.apiPort + i);

  it.each(OPERATOR_PATHS)('answers %s through the balancer with 404 and nothing of the page', async (path) => {
    for (const client of [new ShopClient(), await ShopClient.customer('mallory-ops')]) {
      const reply = await client.request('GET', path);
      expect([path, reply.status]).toEqual([path, 404]);
      expect(reply.text).not.toMatch(LEAKS);
    }
  });

  it('answers /metrics and the docs with 404 on an instance too when a proxy forwarded the request (a proxy without the rule exposes nothing)', async () => {
    for (const path of ['/metrics', '/docs', '/docs/', '/docs-json', '/docs-yaml', '/METRICS']) {
      const reply = await get(instanceUrl(path), { 'X-Forwarded-For': '203.0.113.50' });
      expect([path, reply.status]).toEqual([path, 404]);
      expect(reply.text).not.toMatch(LEAKS);
    }
  });

  it('answers /health/ready through the balancer with up or down only, to anyone but an admin', async () => {
    const anonymous = await get(shopUrl('/health/ready'));
    expect([anonymous.status, JSON.parse(anonymous.text)]).toEqual([200, { status: 'up' }]);
    const customer = await (await ShopClient.customer('mallory-health')).request('GET', '/health/ready');
    expect([customer.status, customer.body]).toEqual([200, { status: 'up' }]);
    expect(`${anonymous.text}${customer.text}`).not.toMatch(DETAILS);
    // An admin is an operator: the details, through the balancer.
    const admin = await (await ShopClient.admin()).request<{ info: Record<string, { status: string }> }>('GET', '/health/ready');
    expect(admin.status).toBe(200);
    expect(admin.body.info['postgres-primary']?.status).toBe('up');
  });

  it("keeps every operator's page on each instance's own port: metrics, docs and readiness details", async () => {
    for (const port of apiPorts) {
      const base = `http://127.0.0.1:${port}`;
      const metrics = await get(`${base}/metrics`);
      expect([port, metrics.status]).toEqual([port, 200]);
      expect(metrics.text).toContain('# TYPE http_server_request_duration_seconds histogram');
      const ready = await get(`${base}/health/ready`);
      expect([port, ready.status]).toEqual([port, 200]);
      expect(JSON.parse(ready.text)).toMatchObject({ info: { 'postgres-primary': { status: 'up' }, 'redis-queue': { status: 'up' } } });
    }
    const docs = await get(instanceUrl('/docs-json'));
    expect([docs.status, (JSON.parse(docs.text) as { info: { title: string } }).info.title]).toEqual([200, 'tenk shop api']);
    expect((await get(instanceUrl('/docs/'))).text).toMatch(/swagger/i);
    // The workers' metrics (what Prometheus scrapes beside the api's).
    for (const port of [config.services.mediaWorkerPort, config.services.mailerPort, config.services.reportsPort]) {
      expect([port, (await get(`http://127.0.0.1:${port}/metrics`)).status]).toEqual([port, 200]);
    }
  });

  it('still feeds the map, which scrapes each instance directly', async () => {
    const deadline = Date.now() + 15_000;
    let lines: string[] = [];
    while (Date.now() < deadline) {
      const snapshot = (await (await fetch(mapUrl('/snapshot'))).json()) as { nodes: Array<{ id: string; lines: string[] }> };
      lines = snapshot.nodes.filter((node) => /^api-\d+$/.test(node.id)).map((node) => node.lines[0] ?? '');
      if (lines.length === apiPorts.length && lines.every((line) => /req\/s/.test(line))) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(lines).toEqual(apiPorts.map(() => expect.stringMatching(/req\/s$/)));
  });

  it('serves the storefront without source maps: no sourceMappingURL in its files, no .map next to them', async () => {
    const page = await get(shopUrl('/'));
    expect(page.status).toBe(200);
    const assets = [...page.text.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((match) => match[1]);
    expect(assets.filter((asset) => asset.endsWith('.js'))).not.toEqual([]);
    for (const asset of assets) {
      const file = await get(shopUrl(asset));
      expect([asset, file.status]).toEqual([asset, 200]);
      expect([asset, /sourceMappingURL/.test(file.text)]).toEqual([asset, false]);
      expect([asset, (await get(shopUrl(`${asset}.map`))).status]).toEqual([asset, 404]);
    }
  });
});

import { shopUrl } from '../support/e2e-env';

describe('the shop, started as npm start starts it', () => {
  it('answers /health/ready through the balancer with every dependency up', async () => {
    const response = await fetch(shopUrl('/health/ready'));
    expect(response.status).toBe(200);
    const body = (await response.json()) as { status: string; info: Record<string, { status: string }> };
    expect(['ok', 'degraded']).toContain(body.status);
    expect(body.info['postgres-primary']?.status).toBe('up');
    expect(body.info['redis-queue']?.status).toBe('up');
  });

  it('serves the catalog and the API docs through the balancer', async () => {
    const products = (await (await fetch(shopUrl('/products?limit=3'))).json()) as { items: unknown[]; total: number };
    expect(products.items).toHaveLength(3);
    expect(products.total).toBeGreaterThan(3);
    const docs = await fetch(shopUrl('/docs-json'));
    expect(docs.status).toBe(200);
    expect(((await docs.json()) as { info: { title: string } }).info.title).toBe('tenk shop api');
  });
});

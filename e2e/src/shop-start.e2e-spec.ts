import { instanceUrl, shopUrl } from '../support/e2e-env';

describe('the shop, started as npm start starts it', () => {
  it('answers /health/ready through the balancer, and every dependency is up on an instance', async () => {
    const response = await fetch(shopUrl('/health/ready'));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'up' });
    const direct = (await (await fetch(instanceUrl('/health/ready'))).json()) as {
      status: string;
      info: Record<string, { status: string }>;
    };
    expect(['ok', 'degraded']).toContain(direct.status);
    expect(direct.info['postgres-primary']?.status).toBe('up');
    expect(direct.info['redis-queue']?.status).toBe('up');
  });

  it('serves the catalog through the balancer, and the API docs on an instance', async () => {
    const products = (await (await fetch(shopUrl('/products?limit=3'))).json()) as { items: unknown[]; total: number };
    expect(products.items).toHaveLength(3);
    expect(products.total).toBeGreaterThan(3);
    const docs = await fetch(instanceUrl('/docs-json'));
    expect(docs.status).toBe(200);
    expect(((await docs.json()) as { info: { title: string } }).info.title).toBe('tenk shop api');
  });
});

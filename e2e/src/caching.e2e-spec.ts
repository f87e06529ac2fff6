/**
 * Caching in the running shop (2 api instances behind the balancer): cached catalog reads with
 * ETags and 304s, a write on one instance seen by the writer on the other at once and by
 * everyone once the replica has it, content-hashed product pictures, and the cache's health
 * and metrics. Library-level guarantees (stampedes, Redis failures, per-user keys) are in
 * libs/caching's integration tests.
 */
import { randomBytes } from 'node:crypto';
import { eventually } from '@tenk/testing';
import { E2E_ENV, shopUrl } from '../support/e2e-env';
import { ShopClient } from './access-support';

interface ProductView {
  id: string;
  sku: string;
  name: string;
  image: string | null;
}

const apiPort = Number(E2E_ENV['TENK_API_PORT']);
const instances = [`http://127.0.0.1:${apiPort}`, `http://127.0.0.1:${apiPort + 1}`];

/** An anonymous read straight from one api instance (no cookies: no read-your-writes token). */
async function read(
  instance: string,
  route: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: ProductView }> {
  const response = await fetch(`${instance}${route}`, { headers });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : {}) as ProductView };
}

describe('caching in the running shop', () => {
  let admin: ShopClient;
  let product: ProductView;

  beforeAll(async () => {
    admin = await ShopClient.admin();
    const sku = `CACHE-${randomBytes(4).toString('hex').toUpperCase()}`;
    const created = await admin.request<ProductView>('POST', '/products', {
      body: { sku, name: 'Cache Probe Kettle', category: 'kitchen', priceCents: 1_999, stock: 7 },
    });
    expect(created.status).toBe(201);
    product = created.body;
  });

  it('answers repeated catalog reads through the balancer from the cache, with ETags and 304s', async () => {
    const route = `/products?category=kitchen&limit=3&sort=price&page=${2 + Math.floor(Math.random() * 50)}`;
    const first = await fetch(shopUrl(route));
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^W\/"/);
    // Any catalog write (this suite's product, for one) sends list reads to the database for the settle window.
    const second = await eventually(
      async () => {
        const response = await fetch(shopUrl(route));
        return response.headers.get('x-cache') === 'HIT' ? response : undefined;
      },
      `${route} was never answered from the cache`,
      15_000,
      250,
    );
    // The page may have changed between the two reads (other writers share the catalog), so
    // revalidate the version the cache answered with.
    const cachedEtag = second.headers.get('etag');
    expect(cachedEtag).toMatch(/^W\/"/);
    const revalidated = await fetch(shopUrl(route), { headers: { 'If-None-Match': cachedEtag! } });
    expect(revalidated.status).toBe(304);
    expect(await revalidated.text()).toBe('');
  });

  it('gives every product a content-hashed picture that browsers may keep for a year', async () => {
    const listed = (await (await fetch(shopUrl('/products?limit=5'))).json()) as { items: ProductView[] };
    const image = listed.items[0].image;
    expect(image).toMatch(/^\/images\/products\/[A-Z0-9-]+\.[0-9a-f]{12}\.svg$/);
    const picture = await fetch(shopUrl(image!));
    expect(picture.status).toBe(200);
    expect(picture.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(picture.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(picture.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await picture.text()).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    const etag = picture.headers.get('etag')!;
    expect((await fetch(shopUrl(image!), { headers: { 'If-None-Match': etag } })).status).toBe(304);
  });

  it('a write on one instance: the writer sees it on the other at once, everyone else once the replica has it, and the cache refills with it', async () => {
    const route = `/products/${product.id}`;
    // Both instances hold the product (once the settle window after its creation has passed).
    for (const instance of instances) {
      await eventually(
        async () => (await read(instance, route)).headers.get('x-cache') === 'HIT',
        `${instance} never cached ${route}`,
        15_000,
        200,
      );
    }

    const writer = new ShopClient(instances[0], admin.client);
    writer.cookie = admin.cookie;
    const patched = await writer.request<ProductView>('PATCH', route, { body: { name: 'Cache Probe Kettle Mk2' } });
    expect(patched.status).toBe(200);
    expect(patched.body.name).toBe('Cache Probe Kettle Mk2');
    const lsn = patched.headers.get('x-tenk-lsn');
    expect(lsn).toBeTruthy();

    // The writer's next read, on the other instance: not the cached old version.
    const mine = await read(instances[1], route, { cookie: admin.cookie!, 'x-tenk-lsn': lsn! });
    expect(mine.body.name).toBe('Cache Probe Kettle Mk2');
    expect(mine.headers.get('x-cache')).not.toBe('HIT');

    // Everyone: the new version once the replica has replayed it, then cached again, on both instances.
    for (const instance of instances) {
      await eventually(
        async () => {
          const reply = await read(instance, route);
          return reply.body.name === 'Cache Probe Kettle Mk2' && reply.headers.get('x-cache') === 'HIT';
        },
        `${instance} never cached the new version`,
        15_000,
        200,
      );
    }

    // The picture follows the name: a new content-hashed URL.
    expect(mine.body.image).not.toBe(product.image);
    expect((await fetch(`${instances[1]}${mine.body.image}`)).status).toBe(200);
  });

  it('reports the cache Redis in readiness (not critical) and its counters in /metrics', async () => {
    const ready = (await (await fetch(`${instances[0]}/health/ready`)).json()) as {
      info: Record<string, { status: string; enabled?: boolean }>;
    };
    expect(ready.info['redis-cache']).toMatchObject({ status: 'up', enabled: true });
    const metrics = await (await fetch(`${instances[0]}/metrics`)).text();
    expect(metrics).toMatch(/tenk_cache_lookups_total\{cache="GET \/products\/:id",outcome="hit"/);
    expect(metrics).toMatch(/tenk_cache_redis_breaker_state\{[^}]*\} 0/);
  });
});

import { randomUUID } from 'node:crypto';
import { loadConfig } from '@tenk/config';
import { containers, dockerUnavailable, down, up, type ComposeShop } from '@tenk/compose';
import { eventually } from '@tenk/testing';
import { PASSWORD, ShopClient, someProduct, testVideo, uniqueEmail } from './access-support';
import { DESKTOP, launchChromium, openPage } from './storefront-support';

/**
 * The whole shop under Docker Compose (docker/docker-compose*.yml, `npm run compose -- up`):
 * the images built here (base images made locally where no registry answers), three api
 * containers behind tenk's balancer on 127.0.0.1, and a customer's journeys through it: browse,
 * sign up, order, upload and play a video, and the mail that arrives in the compose SMTP sink.
 * Skipped, saying why, only where Docker cannot run at all (not Linux, or no daemon to use and
 * no root to install and start one); anywhere else a failure to bring it up fails the suite.
 * Part of `npm test` (beside the other e2e suites, on published ports of its own below the
 * ephemeral range); alone: `npm run compose -- test [--scale N]`.
 */
const unavailable = dockerUnavailable();
if (unavailable) process.stdout.write(`\n[compose] SKIPPED the compose suite: ${unavailable}\n`);
const describeWithDocker = unavailable ? describe.skip : describe;
const SCALE = Number(process.env['TENK_COMPOSE_SCALE'] ?? 3);
const config = loadConfig();
const log = (line: string) => process.stdout.write(`[compose] ${line}\n`);

interface SinkMessage {
  id: string;
  to: string[];
  subject: string;
}

describeWithDocker(`the shop under Docker Compose${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let shop: ComposeShop | undefined;
  let url = '';
  const mailsTo = async (address: string): Promise<SinkMessage[]> =>
    (await (await fetch(`${shop!.project.mailUrl}/messages?to=${encodeURIComponent(address)}`)).json()) as SinkMessage[];
  const mailArrives = (address: string, subject: string) =>
    eventually(
      async () => (await mailsTo(address)).find((mail) => mail.subject === subject),
      `no mail "${subject}" to ${address} in the compose SMTP sink`,
      90_000,
      500,
    );

  beforeAll(async () => {
    // Cold (nothing cached) this builds every image: minutes on two cores; warm, about a minute.
    shop = await up(config, log, SCALE);
    url = shop.project.shopUrl;
  }, 45 * 60_000);

  afterAll(async () => {
    // A shop someone had running before the suite is left running.
    if (!shop?.wasServing) await down(config, log);
  }, 5 * 60_000);

  it(`runs ${SCALE} healthy api containers behind the balancer, published on 127.0.0.1 only`, async () => {
    const running = await containers(shop!.engine, shop!.project);
    expect(running.filter((c) => c.service === 'api').map((c) => [c.state, c.health])).toEqual(
      Array.from({ length: SCALE }, () => ['running', 'healthy']),
    );
    const ports = await fetch(`${url}/`);
    expect(ports.status).toBe(200);
    expect(ports.headers.get('content-type')).toContain('text/html');
  });

  it('serves the same shop through nginx (the nginx profile, docker/nginx.conf), on 127.0.0.1 too', async () => {
    const nginx = shop!.project.nginxUrl;
    const page = await fetch(`${nginx}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('server')).toMatch(/^nginx/);
    expect(await page.text()).toBe(await (await fetch(`${url}/`)).text());
    const products = await fetch(`${nginx}/products?limit=3`);
    expect(products.status).toBe(200);
    expect(((await products.json()) as { items: unknown[] }).items).toHaveLength(3);
  });

  it('lets a visitor browse the catalog in a browser', async () => {
    const chromium = await launchChromium();
    try {
      const { page, errors, run } = await openPage(chromium.browser, DESKTOP);
      await run('compose-browse', async () => {
        await page.goto(`${url}/`);
        await page.locator('.product-card').first().waitFor();
        expect(await page.locator('.product-card').count()).toBe(12);
        await page.getByRole('searchbox', { name: 'Search products' }).fill('mug');
        await page.getByRole('button', { name: 'Search' }).click();
        await page.getByTestId('result-count').filter({ hasText: 'matching “mug”' }).waitFor();
        const names = await page.locator('.product-card .product-name').allTextContents();
        expect(names.length).toBeGreaterThan(0);
        expect(names.every((name) => /mug/i.test(name))).toBe(true);
      });
      expect(errors).toEqual([]);
    } finally {
      await chromium.close();
    }
  });

  it('signs a customer up, takes an order, and mails the welcome and the order confirmation', async () => {
    const customer = new ShopClient(url);
    const email = uniqueEmail('compose');
    const signup = await customer.request('POST', '/users', { body: { email, name: 'Compose Customer', password: PASSWORD } });
    expect(signup.status).toBe(201);
    await mailArrives(email, 'Welcome to tenk, Compose Customer');

    const product = await someProduct(customer);
    const order = await customer.request<{ id: string; status: string; totalCents: number }>('POST', '/orders', {
      body: { lines: [{ productId: product.id, quantity: 2 }] },
      headers: { 'Idempotency-Key': randomUUID() },
    });
    expect(order.status).toBe(201);
    expect(order.body).toMatchObject({ status: 'placed', totalCents: 2 * product.priceCents });
    const me = signup.body as { id: string };
    const mine = await customer.request<{ items: Array<{ id: string }> }>('GET', `/customers/${me.id}/orders?limit=100`);
    expect(mine.body.items.map((item) => item.id)).toContain(order.body.id);
    // Through the outbox, Kafka and the mailer container.
    await mailArrives(email, `Your tenk order ${order.body.id} is confirmed`);
  });

  it('takes a video upload, transcodes it in the media-worker container, and plays it with Range requests', async () => {
    const owner = new ShopClient(url);
    const signup = await owner.request('POST', '/users', {
      body: { email: uniqueEmail('compose-video'), name: 'Video Owner', password: PASSWORD },
    });
    expect(signup.status).toBe(201);
    const upload = await owner.request<{ url: string; state: string }>('POST', '/videos', {
      raw: { data: await testVideo(2), contentType: 'video/mp4' },
    });
    expect(upload.status).toBe(202);
    const video = await eventually(
      async () => {
        const reply = await owner.request<{ state: string; error: string | null; renditions: Array<{ name: string; url: string }> }>(
          'GET',
          upload.body.url,
        );
        if (reply.body.state === 'failed') throw new Error(`the video failed: ${reply.body.error}`);
        return reply.body.state === 'ready' ? reply.body : undefined;
      },
      'the video never became ready',
      180_000,
      500,
    );
    // A 320x240 source: the 360p rendition (nothing is scaled up to 720p).
    expect(video.renditions.map((rendition) => rendition.name)).toEqual(['360p']);
    const part = await fetch(`${url}${video.renditions[0].url}`, { headers: { cookie: owner.cookie!, range: 'bytes=0-99' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-type')).toBe('video/mp4');
    expect(Buffer.from(await part.arrayBuffer())).toHaveLength(100);
  });
});

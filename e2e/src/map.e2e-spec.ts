/**
 * The live architecture map in a real browser (Debian's chromium): the diagram renders with
 * every component, its numbers move under load, and a pattern toggle changes the shop's state
 * when the page was opened with the run's token (the link npm start prints), never without.
 */
import { randomBytes } from 'node:crypto';
import { eventually } from '@tenk/testing';
import { controlCallHeaders, controlToken } from '../support/control-planes';
import { mapUrl, shopUrl } from '../support/e2e-env';
import { launchChromium, screenshot, type StorefrontBrowser } from './storefront-support';

interface Snapshot {
  switches: Record<string, boolean>;
  totals: { requestsPerSecond: number };
  nodes: Array<{ id: string; health: string; lines: string[] }>;
}

const snapshot = async (): Promise<Snapshot> => (await (await fetch(mapUrl('/snapshot'))).json()) as Snapshot;

describe('the live architecture map', () => {
  let chromium: StorefrontBrowser;

  beforeAll(async () => {
    chromium = await launchChromium();
  });
  afterAll(async () => {
    // Leave the shop as the other suites expect it.
    await fetch(mapUrl('/controls/switches/cache'), { method: 'PUT', headers: controlCallHeaders(), body: '{"on":true}' });
    await chromium.close();
  });

  it('draws the shop, moves its numbers under load, and turns the cache off and on', async () => {
    const page = await chromium.browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    // As from the box npm start prints: the token in the link, then out of the address bar.
    await page.goto(mapUrl(`/?token=${controlToken()}`));
    await page.waitForFunction("!location.search.includes('token')", undefined, { timeout: 5_000 });
    expect(await page.isHidden('#token-note')).toBe(true);

    // Every component is on the diagram.
    for (const node of [
      'balancer',
      'api-1',
      'api-2',
      'redis-cache',
      'redis-queue',
      'kafka',
      'postgres-primary',
      'postgres-replica',
      'shard_0',
      'shard_3',
      'media-worker',
      'mailer',
      'reports',
      'payment-sim',
      'smtp-sink',
    ]) {
      await page.waitForSelector(`[data-node="${node}"]`, { timeout: 15_000 });
    }
    // One machine: no hosts panel (the shop on many hosts, `npm run hosts -- shop`, shows it).
    expect(await page.isHidden('#hosts-section')).toBe(true);

    // Traffic through the balancer shows up as requests per second on the page.
    let sending = true;
    const traffic = (async () => {
      while (sending)
        await Promise.all(
          Array.from({ length: 5 }, (_, i) => fetch(shopUrl(`/products?limit=5&page=${1 + (i % 3)}`)).then((r) => r.arrayBuffer())),
        );
    })();
    await page.waitForFunction("Number(document.getElementById('t-rps')?.textContent) > 0", undefined, { timeout: 20_000 });
    const apiLine = await page.textContent('[data-node="api-1"] [data-line="0"]');
    expect(apiLine).toMatch(/req\/s/);
    sending = false;
    await traffic;

    // Turning the cache off from the page turns it off for the shop.
    await page.uncheck('[data-switch="cache"]');
    await page.waitForFunction(
      `document.querySelector('[data-node="redis-cache"] [data-line="0"]')?.textContent === 'cache OFF'`,
      undefined,
      { timeout: 10_000 },
    );
    expect((await snapshot()).switches['cache']).toBe(false);
    await screenshot(page, 'map-cache-off');
    await page.check('[data-switch="cache"]');
    await page.waitForFunction(
      `document.querySelector('[data-node="redis-cache"] [data-line="0"]')?.textContent !== 'cache OFF'`,
      undefined,
      { timeout: 10_000 },
    );
    expect((await snapshot()).switches['cache']).toBe(true);
    await screenshot(page, 'map');
    // A reload keeps the token (sessionStorage) and the controls with it.
    await page.reload();
    await page.waitForSelector('[data-node="redis-cache"]', { timeout: 15_000 });
    expect(await page.isHidden('#token-note')).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('stays read-only when opened without the token: a toggle is refused and says where the token is', async () => {
    const page = await chromium.browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(mapUrl('/'));
    await page.waitForSelector('[data-node="redis-cache"]', { timeout: 15_000 });
    expect(await page.isVisible('#token-note')).toBe(true);
    await page.waitForFunction('document.querySelector(\'[data-switch="cache"]\').checked === true', undefined, { timeout: 10_000 });
    await page.uncheck('[data-switch="cache"]');
    await page.waitForFunction("document.getElementById('message').className === 'error'", undefined, { timeout: 10_000 });
    expect(await page.textContent('#message')).toMatch(/needs the run's control token/);
    expect((await snapshot()).switches['cache']).toBe(true);
    await page.close();
  });

  it('its algorithm selector shows the algorithm in force, and follows a switch made elsewhere', async () => {
    const inForce = async () => ((await snapshot()) as Snapshot & { algorithm: string }).algorithm;
    const before = await inForce();
    const page = await chromium.browser.newPage({ viewport: { width: 1400, height: 900 } });
    try {
      await page.goto(mapUrl(`/?token=${controlToken()}`));
      await page.waitForFunction(`document.getElementById('algorithm').value === ${JSON.stringify(before)}`, undefined, {
        timeout: 15_000,
      });
      const other = before === 'least_conn' ? 'ip_hash' : 'least_conn';
      const switched = await fetch(mapUrl('/controls/algorithm'), {
        method: 'PUT',
        headers: controlCallHeaders(),
        body: JSON.stringify({ algorithm: other }),
      });
      expect(switched.status).toBe(200);
      await page.waitForFunction(`document.getElementById('algorithm').value === '${other}'`, undefined, { timeout: 15_000 });
    } finally {
      await fetch(mapUrl('/controls/algorithm'), {
        method: 'PUT',
        headers: controlCallHeaders(),
        body: JSON.stringify({ algorithm: before }),
      });
      await page.close();
    }
    expect(await inForce()).toBe(before);
  });

  it("links to its trace pages, which draw a request's trace from Jaeger", async () => {
    const traceId = randomBytes(16).toString('hex');
    const reply = await fetch(shopUrl('/products?limit=5'), {
      headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
    });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('traceresponse')).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    await eventually(
      async () => (await fetch(mapUrl(`/traces/${traceId}`))).status === 200,
      `the map never drew trace ${traceId}`,
      30_000,
      500,
    );
    const page = await chromium.browser.newPage({ viewport: { width: 1300, height: 700 } });
    try {
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(mapUrl('/'));
      expect(await page.getAttribute('a.traces', 'href')).toBe('/traces');
      await page.goto(mapUrl(`/traces/${traceId}`));
      expect(await page.textContent('svg')).toMatch(/balancer GET api[\s\S]*api GET \/products/);
      await screenshot(page, 'map-trace');
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('names a bad control request', async () => {
    const response = await fetch(mapUrl('/controls/switches/teleport'), {
      method: 'PUT',
      headers: controlCallHeaders(),
      body: '{"on":true}',
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toContain('unknown switch "teleport"');
    const algorithm = await fetch(mapUrl('/controls/algorithm'), {
      method: 'PUT',
      headers: controlCallHeaders(),
      body: '{"algorithm":"fastest"}',
    });
    expect(algorithm.status).toBe(400);
  });
});

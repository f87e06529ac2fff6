import type { Request } from 'playwright-core';
import { shopUrl } from '../support/e2e-env';
import { describeWhenLanded, PASSWORD, uniqueEmail } from './access-support';
import { launchChromium, openPage, PHONE, DESKTOP, screenshot, type StorefrontBrowser } from './storefront-support';

/**
 * The storefront as people use it, in Debian's chromium through the balancer of the running
 * shop: the files and their cache headers, then sign up, find a product, order it (a lost
 * answer and a second click still make one order), and see it in "my orders", on a phone.
 */
describe('the storefront files, served by the balancer', () => {
  it('serves index.html at / to be revalidated every time (no-cache + ETag -> 304)', async () => {
    const page = await fetch(shopUrl('/'));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const etag = page.headers.get('etag');
    expect(etag).toBeTruthy();
    expect(await page.text()).toContain('<div id="app"');
    const again = await fetch(shopUrl('/'), { headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);
  });

  it('serves content-hashed assets for a year, immutable, and answers a missing one 404 itself', async () => {
    const html = await (await fetch(shopUrl('/'))).text();
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((match) => match[1]!);
    expect(assets.some((asset) => asset.endsWith('.js'))).toBe(true);
    expect(assets.some((asset) => asset.endsWith('.css'))).toBe(true);
    for (const asset of assets) {
      expect(asset).toMatch(/\/assets\/[\w-]+-[\w-]{8}\.(js|css)$/);
      const response = await fetch(shopUrl(asset));
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      await response.arrayBuffer();
    }
    const missing = await fetch(shopUrl('/assets/index-00000000.js'));
    expect(missing.status).toBe(404);
    // Not the api's JSON 404: the balancer answered from the files.
    expect(missing.headers.get('content-type') ?? '').not.toContain('application/json');
  });

  it('leaves every other path to the api', async () => {
    const products = await fetch(shopUrl('/products?limit=1'));
    expect(products.status).toBe(200);
    expect(products.headers.get('content-type')).toContain('application/json');
    expect((await fetch(shopUrl('/health/ready'))).status).toBe(200);
  });
});

describe('shopping in the browser (phone-sized)', () => {
  let chromium: StorefrontBrowser;

  beforeAll(async () => {
    chromium = await launchChromium();
  });

  afterAll(async () => {
    await chromium.close();
  });

  it('lets an anonymous visitor browse, search and page through the catalog without errors', async () => {
    const { page, errors, run } = await openPage(chromium.browser, PHONE);
    await run('storefront-browse-search-page', async () => {
      await page.goto('/');
      await page.locator('.product-card').first().waitFor();
      expect(await page.locator('.product-card').count()).toBe(12);
      await page.getByRole('link', { name: 'Next →' }).click();
      await page.getByTestId('page-of').filter({ hasText: 'Page 2 of' }).waitFor();
      await page.getByRole('searchbox', { name: 'Search products' }).fill('mug');
      await page.getByRole('button', { name: 'Search' }).click();
      await page.getByTestId('result-count').filter({ hasText: 'matching “mug”' }).waitFor();
      const names = await page.locator('.product-card .product-name').allTextContents();
      expect(names.length).toBeGreaterThan(0);
      for (const name of names) expect(name.toLowerCase()).toContain('mug');
      await screenshot(page, 'storefront-phone-search');
      // The page fits the phone: nothing wider than the viewport.
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.viewport.width);
      expect(errors).toEqual([]);
    });
  });

  it('sends a visitor who is not signed in from "my orders" to sign in, and back after', async () => {
    const { page, errors, run } = await openPage(chromium.browser, PHONE);
    await run('storefront-signin-redirect', async () => {
      await page.goto('/#/orders');
      await page.waitForURL(/#\/signin\?next=%2Forders/);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      expect(errors).toEqual([]);
    });
  });

  describeWhenLanded('orders')('with orders', () => {
    it('signs up, finds a product, orders it once despite a lost answer and a double click, and sees it in my orders', async () => {
      const { page, errors, context, run } = await openPage(chromium.browser, PHONE);
      await run('storefront-order-once', async () => {
        const email = uniqueEmail('shopper');

        await page.goto('/#/signup');
        await page.getByLabel('Name').fill('Phone Shopper');
        await page.getByLabel('Email').fill(email);
        await page.getByLabel('Password').fill(PASSWORD);
        await screenshot(page, 'storefront-phone-1-signup');
        await page.getByRole('button', { name: 'Create account' }).click();
        await page.getByTestId('nav-user').filter({ hasText: 'Phone Shopper' }).waitFor();

        await page.getByRole('searchbox', { name: 'Search products' }).fill('mug');
        await page.getByRole('button', { name: 'Search' }).click();
        await page.getByTestId('result-count').filter({ hasText: 'matching “mug”' }).waitFor();
        await page.locator('.product-card .product-link').first().click();
        const heading = page.locator('.product-detail h1');
        await heading.waitFor();
        const productName = (await heading.textContent())!;
        await screenshot(page, 'storefront-phone-2-product');
        await page.getByLabel('Quantity').fill('2');
        await page.getByRole('button', { name: 'Add to cart' }).click();
        await page.getByText('Added 2 to your cart.').waitFor();

        await page.getByTestId('nav-cart').click();
        await page.getByRole('link', { name: productName, exact: true }).waitFor();
        await screenshot(page, 'storefront-phone-3-cart');
        await page.getByRole('link', { name: 'Checkout' }).click();
        await page.getByRole('heading', { name: 'Checkout' }).waitFor();
        await screenshot(page, 'storefront-phone-4-checkout');

        // The first answer is lost on the way back (the order is made, the browser never hears),
        // and the button is double-clicked: the retry carries the same Idempotency-Key.
        const orderPosts: Request[] = [];
        page.on('request', (request) => {
          if (request.method() === 'POST' && new URL(request.url()).pathname === '/orders') orderPosts.push(request);
        });
        let loseNextAnswer = true;
        await page.route('**/orders', async (route) => {
          if (route.request().method() !== 'POST' || !loseNextAnswer) return route.continue();
          loseNextAnswer = false;
          const reached = await route.fetch();
          expect(reached.status()).toBe(201);
          await route.abort('connectionreset');
        });
        await page.getByRole('button', { name: /Place order/ }).dblclick();
        await page.getByRole('alert').filter({ hasText: 'cannot be reached' }).waitFor();
        expect(orderPosts).toHaveLength(1);
        // Clicked again (twice) until the shop answers: a busy shop may ask to retry (503).
        const thanks = page.getByText('Thank you! Your order is placed.');
        for (let attempt = 1; !(await thanks.isVisible()); attempt += 1) {
          expect(attempt).toBeLessThanOrEqual(5);
          await page.getByRole('button', { name: /Place order/ }).dblclick();
          await thanks.or(page.getByRole('alert')).waitFor();
        }
        expect(orderPosts.length).toBeGreaterThanOrEqual(2);
        // One POST per click that reached an enabled button, every one with the same key.
        const keys = new Set(orderPosts.map((request) => request.headers()['idempotency-key']));
        expect(keys.size).toBe(1);
        expect([...keys][0]).toMatch(/^[0-9a-f-]{36}$/);
        const orderId = decodeURIComponent(/#\/orders\/([^?]+)/.exec(page.url())![1]!);
        await screenshot(page, 'storefront-phone-5-order-placed');

        await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My orders' }).click();
        await page.locator(`li[data-order-id="${orderId}"]`).waitFor();
        expect(await page.locator('ul.orders > li').count()).toBe(1);
        await screenshot(page, 'storefront-phone-6-my-orders');
        const listed = await context.request.get(`/customers/${(await (await context.request.get('/auth/me')).json()).id}/orders`);
        expect(
          ((await listed.json()) as { items: Array<{ id: string; lines: Array<{ quantity: number }> }> }).items.map((order) => [
            order.id,
            order.lines[0]!.quantity,
          ]),
        ).toEqual([[orderId, 2]]);
        // The cart is empty after the order.
        expect(await page.getByTestId('nav-cart').textContent()).toBe('Cart');

        // The one error the page saw is the answer we cut off on purpose.
        expect(errors.filter((error) => !error.includes('ERR_CONNECTION_RESET'))).toEqual([]);
      });
    });
  });

  it('signs out and in again on a laptop-sized window', async () => {
    const { page, errors, run } = await openPage(chromium.browser, DESKTOP);
    await run('storefront-signin-again', async () => {
      const email = uniqueEmail('returning');
      await page.goto('/#/signup');
      await page.getByLabel('Name').fill('Returning Customer');
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.getByTestId('nav-user').waitFor();
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('link', { name: 'Sign in' }).click();
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByTestId('nav-user').filter({ hasText: 'Returning Customer' }).waitFor();
      await screenshot(page, 'storefront-desktop-signed-in');
      expect(errors).toEqual([]);
    });
  });
});

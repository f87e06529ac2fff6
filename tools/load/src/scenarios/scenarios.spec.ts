import { Random } from '../engine/random';
import { RunStats } from '../engine/stats';
import { parseThinkTime } from '../engine/think-time';
import { RequestPlan, ResponseView } from '../engine/virtual-user';
import { BrowsingUser } from './browse';
import { BuyingUser } from './buy';
import { Catalog } from './catalog';
import { assignScenarios, parseMix, SCENARIOS } from './index';
import type { ScenarioContext } from './scenario';
import { readVideo, UploadingUser } from './upload';

const PRODUCTS = Array.from({ length: 300 }, (_, i) => ({
  id: String(1_000 + i),
  name: `${i % 2 ? 'Sturdy' : 'Quiet'} ${['Mug', 'Kettle', 'Rake'][i % 3]} ${i}`,
  category: ['kitchen', 'garden', 'books'][i % 3],
}));

function context(overrides: Partial<ScenarioContext> = {}): ScenarioContext {
  const random = new Random(11);
  return {
    stats: new RunStats(),
    random,
    think: parseThinkTime('2s'),
    uploadThink: parseThinkTime('60s'),
    catalog: new Catalog(PRODUCTS, random, 1),
    upload: { body: Buffer.from('video'), contentType: 'video/mp4', videoBytes: 5 },
    runId: 'test',
    now: () => 0,
    ...overrides,
  };
}

function respond(status: number, body: string | null = null, extra: Partial<ResponseView> = {}): ResponseView {
  const response = new ResponseView();
  Object.assign(response, { status, body, ...extra });
  return response;
}

describe('the scenario mix', () => {
  it('assigns scenarios in the mix proportions at every point of the ramp-up', () => {
    const mix = parseMix('browse=90,buy=8,upload=2');
    const assigned = assignScenarios(mix, 1_000);
    const count = (name: string, upTo: number) => assigned.slice(0, upTo).filter((scenario) => scenario.name === name).length;
    expect([count('browse', 1_000), count('buy', 1_000), count('upload', 1_000)]).toEqual([900, 80, 20]);
    expect([count('browse', 100), count('buy', 100), count('upload', 100)]).toEqual([90, 8, 2]);
    expect(count('upload', 50)).toBe(1);
  });

  it('refuses unknown scenarios and bad weights', () => {
    expect(() => parseMix('browse=1,shop=2')).toThrow('unknown scenario "shop"');
    expect(() => parseMix('browse=x')).toThrow('weight of browse');
    expect(() => parseMix('browse=0')).toThrow('at least one weight');
    expect(parseMix('browse=3,buy=0').map((entry) => entry.scenario.name)).toEqual(['browse']);
  });
});

describe('the catalog', () => {
  it('builds every path once, over real product ids, categories and name words', () => {
    const random = new Random(3);
    const catalog = new Catalog(PRODUCTS, random, 1);
    expect(catalog.size).toBe(300);
    expect(catalog.categories).toEqual(['books', 'garden', 'kitchen']);
    const ids = new Set(PRODUCTS.map((product) => `/products/${product.id}`));
    const seen = new Map<string, number>();
    for (let i = 0; i < 5_000; i++) {
      const path = catalog.productPath(random);
      expect(ids.has(path)).toBe(true);
      seen.set(path, (seen.get(path) ?? 0) + 1);
    }
    // Zipf: the favourite product is viewed far more often than the median one.
    const counts = [...seen.values()].sort((a, b) => b - a);
    expect(counts[0]).toBeGreaterThan(10 * counts[Math.floor(counts.length / 2)]);
    expect(catalog.listPath(random)).toMatch(/^\/products\?(category=[a-z]+&)?page=\d+&limit=20&sort=(name|price|newest)$/);
    expect(catalog.searchPath(random)).toMatch(/^\/products\?search=(sturdy|quiet|mug|kettle|rake)&limit=20$/);
  });

  it('refuses an empty catalog with what to do', () => {
    expect(() => new Catalog([], new Random(1), 1)).toThrow('npm run migrate');
  });
});

describe('browsing users', () => {
  it('mix product pages, list pages and searches, and think between them', () => {
    const ctx = context();
    const user = new BrowsingUser(ctx);
    const request = new RequestPlan();
    const endpoints = new Map<string, number>();
    for (let i = 0; i < 2_000; i++) {
      request.reset();
      user.plan(request);
      endpoints.set(request.endpoint?.name ?? '', (endpoints.get(request.endpoint?.name ?? '') ?? 0) + 1);
      expect(request.method).toBe('GET');
    }
    expect((endpoints.get('GET /products/:id') ?? 0) / 2_000).toBeCloseTo(0.5, 1);
    expect((endpoints.get('GET /products') ?? 0) / 2_000).toBeCloseTo(0.3, 1);
    expect((endpoints.get('GET /products?search') ?? 0) / 2_000).toBeCloseTo(0.2, 1);
    expect(user.after()).toBe(2_000);
  });
});

describe('buying users', () => {
  function step(user: BuyingUser, response: ResponseView): RequestPlan {
    user.after(response);
    const request = new RequestPlan();
    user.plan(request);
    return request;
  }

  it('sign up, browse, order with an idempotency key kept across 503 retries, view the order', () => {
    const ctx = context();
    const user = new BuyingUser(7, ctx);
    const first = new RequestPlan();
    user.plan(first);
    expect(first).toMatchObject({ method: 'POST', path: '/users', contentType: 'application/json' });
    expect(JSON.parse(String(first.body))).toMatchObject({ email: 'load-test-buyer-7@example.com' });

    let request = step(user, respond(201));
    let browsed = 0;
    while (request.path.startsWith('/products/')) {
      browsed += 1;
      request = step(user, respond(200));
    }
    expect(browsed).toBeGreaterThanOrEqual(2);
    expect(browsed).toBeLessThanOrEqual(5);
    expect(request).toMatchObject({ method: 'POST', path: '/orders', readBody: true, acceptedStatus: 409 });
    const key = request.idempotencyKey;
    expect(key).toMatch(/^[0-9a-f-]{36}$/);
    const lines = (JSON.parse(String(request.body)) as { lines: { productId: string; quantity: number }[] }).lines;
    expect(lines.length).toBeGreaterThanOrEqual(1);
    for (const line of lines) expect(PRODUCTS.some((product) => product.id === line.productId)).toBe(true);

    // The payment provider is down: the same order, the same key, after Retry-After.
    expect(user.after(respond(503, null, { retryAfterMs: 4_000 }))).toBe(4_000);
    const retry = new RequestPlan();
    user.plan(retry);
    expect(retry.idempotencyKey).toBe(key);
    expect(retry.body).toBe(request.body);

    const view = step(user, respond(201, '{"id":"ord_42","status":"confirmed"}'));
    expect(view).toMatchObject({ method: 'GET', path: '/orders/ord_42' });
    expect(ctx.stats.journeys.get('order: first attempt -> placed')?.count).toBe(1);
  });

  it('keep browsing when the orders API is not deployed, and sign in again after a 409', () => {
    const ctx = context();
    ctx.stats.endpoint('POST /orders', true).deployed = false;
    const user = new BuyingUser(1, ctx);
    user.plan(new RequestPlan());
    let request = step(user, respond(409, '{"message":"exists"}'));
    expect(request.path).toBe('/auth/login');
    request = step(user, respond(200));
    for (let i = 0; i < 30; i++) {
      expect(request.path).toMatch(/^\/products\//);
      request = step(user, respond(200));
    }
  });
});

describe('uploading users', () => {
  it('upload, poll the video until ready, then wait the upload think time', () => {
    let now = 0;
    const ctx = context({ now: () => now });
    const user = new UploadingUser(2, ctx);
    user.plan(new RequestPlan());
    user.after(respond(201));
    const upload = new RequestPlan();
    user.plan(upload);
    expect(upload).toMatchObject({ method: 'POST', path: '/videos', contentType: 'video/mp4' });
    expect(user.after(respond(202, '{"id":"v1","url":"/videos/v1","state":"queued"}'))).toBe(1_000);
    const poll = new RequestPlan();
    user.plan(poll);
    expect(poll.path).toBe('/videos/v1');
    expect(user.after(respond(200, '{"id":"v1","state":"processing","progress":40}'))).toBe(2_000);
    now = 9_000;
    expect(user.after(respond(200, '{"id":"v1","state":"ready"}'))).toBe(60_000);
    expect(ctx.stats.journeys.get('video: upload -> ready')?.count).toBe(1);
    const next = new RequestPlan();
    user.plan(next);
    expect(next.path).toBe('/videos');
  });

  it('reads the video id, URL and state leniently', () => {
    expect(readVideo('{"id":12,"status":"READY"}')).toEqual({ path: '/videos/12', state: 'ready' });
    expect(readVideo('{"videoId":"a b"}')).toEqual({ path: '/videos/a%20b', state: undefined });
    expect(readVideo('{"url":"/videos/x9","state":"queued"}')).toEqual({ path: '/videos/x9', state: 'queued' });
    expect(readVideo('not json')).toBeNull();
    expect(readVideo('{"message":"no id"}')).toBeNull();
  });

  it('are listed with the other scenarios', () => {
    expect(Object.keys(SCENARIOS)).toEqual(['browse', 'buy', 'upload']);
    expect(SCENARIOS.upload.needsUpload).toBe(true);
  });
});

import { eventually, parseCsv, uniqueName } from '@tenk/testing';
import { closeDb, groupOf, orderPlaced, OrdersTopic, Session } from './queues-support';

interface ReportView {
  id: string;
  url: string;
  state: string;
  error: string | null;
  downloadUrl: string | null;
  rows: number | null;
}

async function readyReport(session: Session, body: { type: string; from: string; to: string }): Promise<string[][]> {
  const requested = await session.request<ReportView>('POST', '/reports', { json: body });
  expect(requested.status).toBe(202);
  expect(requested.headers.get('location')).toBe(requested.body.url);
  const ready = await eventually(
    async () => {
      const reply = await session.request<ReportView>('GET', requested.body.url);
      if (reply.body.state === 'failed') throw new Error(`the report failed: ${reply.body.error}`);
      return reply.body.state === 'ready' ? reply.body : undefined;
    },
    'the report was never built',
    60_000,
    300,
  );
  const download = await session.request('GET', ready.downloadUrl!);
  expect(download.status).toBe(200);
  expect(download.headers.get('content-type')).toBe('text/csv; charset=utf-8');
  expect(download.headers.get('content-disposition')).toBe(`attachment; filename="tenk-${body.type}-${body.from}-to-${body.to}.csv"`);
  return parseCsv(download.text);
}

/**
 * Reports from the running shop: OrderPlaced events (published here, one of them twice) are
 * aggregated by the reports service from Kafka; a requested report is built by its Bull
 * worker into a CSV whose totals match the orders placed.
 */
describe('reports', () => {
  let customer: Session;
  let orders: OrdersTopic;
  const products = [uniqueName('report_mug'), uniqueName('report_tea')];
  // Days long past, so no other suite's orders share them.
  const range = { from: '2003-04-01', to: '2003-04-30' };
  let placed: ReturnType<typeof orderPlaced>[];

  beforeAll(async () => {
    customer = await Session.customer('report-buyer');
    orders = await new OrdersTopic().connect();
    await orders.groupReady(groupOf('reports'));
    const me = { id: customer.user.id, email: customer.user.email };
    placed = [
      orderPlaced(me, '2003-04-02T10:00:00.000Z', [
        { productId: products[0], sku: 'MUG-R', name: 'Report mug', quantity: 2, unitPriceCents: 1299 },
      ]),
      orderPlaced(me, '2003-04-02T18:30:00.000Z', [
        { productId: products[0], sku: 'MUG-R', name: 'Report mug', quantity: 1, unitPriceCents: 1299 },
        { productId: products[1], sku: 'TEA-R', name: 'Report tea, "green"', quantity: 4, unitPriceCents: 450 },
      ]),
      orderPlaced(me, '2003-04-20T08:00:00.000Z', [
        { productId: products[1], sku: 'TEA-R', name: 'Report tea, "green"', quantity: 1, unitPriceCents: 450 },
      ]),
      orderPlaced(me, '2003-05-02T08:00:00.000Z', [
        { productId: products[1], sku: 'TEA-R', name: 'Report tea, "green"', quantity: 9, unitPriceCents: 450 },
      ]), // after the range
    ];
    await orders.publish(...placed, placed[1]); // the second one is delivered twice
    await orders.consumedBy(groupOf('reports'));
  });
  afterAll(async () => {
    await orders?.close();
    await closeDb();
  });

  it('builds a my-orders CSV whose totals match the orders placed in the range', async () => {
    const [header, ...rows] = await readyReport(customer, { type: 'my-orders', ...range });
    expect(header).toEqual(['day', 'currency', 'orders', 'items', 'total_cents', 'total']);
    const inRange = placed.filter((event) => event.occurredAt < '2003-05-01');
    expect(rows.reduce((sum, row) => sum + Number(row[4]), 0)).toBe(inRange.reduce((sum, event) => sum + event.totalCents, 0));
    expect(rows.reduce((sum, row) => sum + Number(row[2]), 0)).toBe(inRange.length);
    expect(rows).toEqual([
      ['2003-04-02', 'EUR', '2', '7', String(3 * 1299 + 4 * 450), '56.97'],
      ['2003-04-20', 'EUR', '1', '1', '450', '4.50'],
    ]);
  });

  it('builds sales-by-product over every customer for an admin', async () => {
    const admin = await Session.admin();
    const [header, ...rows] = await readyReport(admin, { type: 'sales-by-product', ...range });
    expect(header).toEqual(['product_id', 'sku', 'name', 'currency', 'orders', 'quantity', 'revenue_cents', 'revenue']);
    expect(rows.filter((row) => products.includes(row[0]))).toEqual([
      [products[0], 'MUG-R', 'Report mug', 'EUR', '2', '3', String(3 * 1299), '38.97'],
      [products[1], 'TEA-R', 'Report tea, "green"', 'EUR', '2', '5', String(5 * 450), '22.50'],
    ]);
  });

  it('keeps sales reports over every customer for admins, and reports private to their owner', async () => {
    expect((await customer.request('POST', '/reports', { json: { type: 'sales-by-day', ...range } })).status).toBe(403);
    const mine = await customer.request<ReportView>('POST', '/reports', { json: { type: 'my-orders', ...range } });
    const stranger = await Session.customer('report-stranger');
    expect((await stranger.request('GET', mine.body.url)).status).toBe(404);
    expect((await stranger.request('GET', `${mine.body.url}/download`)).status).toBe(404);
    expect((await new Session().request('GET', mine.body.url)).status).toBe(401);
  });

  it('refuses a bad request, naming each problem', async () => {
    const reply = await customer.request<{ message: string[] | string }>('POST', '/reports', {
      json: { type: 'everything', from: '2003-02-30', to: '2003-04-01' },
    });
    expect(reply.status).toBe(400);
    expect(reply.body.message).toEqual(
      expect.arrayContaining([
        'type must be one of: my-orders, sales-by-day, sales-by-product',
        'from must be a day written YYYY-MM-DD, such as 2026-11-28',
      ]),
    );
    const backwards = await customer.request<{ message: string }>('POST', '/reports', {
      json: { type: 'my-orders', from: '2003-04-30', to: '2003-04-01' },
    });
    expect(backwards.status).toBe(400);
    expect(backwards.body.message).toBe('from (2003-04-30) must not be after to (2003-04-01)');
  });
});

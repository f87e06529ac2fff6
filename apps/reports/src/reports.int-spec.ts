/**
 * The reports service against the real stack: OrderPlaced events on a Kafka topic of its own
 * feed the sales aggregates in the catalog database; report jobs on Bull (its own queue
 * prefix) write CSV files into a storage folder of its own.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import Queue from 'bull';
import { loadConfig, redisConnection, type TenkConfig } from '@tenk/config';
import { BUILD_REPORT_V1, QUEUES, type OrderPlacedV1, type ReportType } from '@tenk/contracts';
import { CatalogDatabase } from '@tenk/database';
import { queueOptions, queuePrefix } from '@tenk/messaging';
import { ReportRequests } from '@tenk/reporting';
import { LocalObjectStore } from '@tenk/storage';
import { startMicroservices, createHttpAdapter } from '@tenk/observability';
import { parseCsv, TestTopic, uniqueName } from '@tenk/testing';
import { AppModule } from './app.module';
import { ReportProcessor } from './report.processor';
import { salesEventsServer } from './sales-events.controller';

jest.setTimeout(120_000);

const topic = uniqueName('tenk_test_orders');
const storageDir = mkdtempSync(path.join(os.tmpdir(), 'tenk-reports-int-'));
const customerId = randomUUID();
const otherCustomerId = randomUUID();
const products = [uniqueName('prod_a'), uniqueName('prod_b')];
let config: TenkConfig;
let app: INestApplication;
let ordersTopic: TestTopic;
let reportQueue: Queue.Queue;
const eventIds: string[] = [];

function event(
  customer: string,
  occurredAt: string,
  lines: Array<[productIndex: number, quantity: number, unitPriceCents: number]>,
): OrderPlacedV1 {
  const eventId = randomUUID();
  eventIds.push(eventId);
  return {
    type: 'OrderPlaced',
    version: 1,
    eventId,
    occurredAt,
    orderId: randomUUID(),
    customerId: customer,
    customerEmail: 'buyer@example.test',
    currency: 'EUR',
    totalCents: lines.reduce((sum, [, quantity, price]) => sum + quantity * price, 0),
    lines: lines.map(([index, quantity, unitPriceCents]) => ({
      productId: products[index],
      sku: `SKU-${index}`,
      name: index === 0 ? 'Mug, "large"' : 'Tea',
      quantity,
      unitPriceCents,
    })),
  };
}

async function consumedEverything(): Promise<void> {
  await ordersTopic.consumedBy(`${config.messaging.kafka.groupPrefix}.reports`);
}

async function buildReport(type: ReportType, ownerId: string, fromDay: string, toDay: string): Promise<{ id: string; csv: string[][] }> {
  const request = await app.get(ReportRequests).create({ id: randomUUID(), ownerId, type, fromDay, toDay });
  const job = await reportQueue.add(BUILD_REPORT_V1.name, { reportId: request.id }, { jobId: request.id });
  await job.finished();
  const ready = await app.get(ReportRequests).find(request.id);
  expect(ready).toMatchObject({ state: 'ready', fileKey: `reports/${request.id}.csv` });
  const csv = await text(await new LocalObjectStore(storageDir).read(ready!.fileKey!));
  return { id: request.id, csv: parseCsv(csv) };
}

beforeAll(async () => {
  config = loadConfig({
    ...process.env,
    TENK_QUEUE_PREFIX: uniqueName('tenk_test_reports'),
    TENK_KAFKA_GROUP_PREFIX: uniqueName('tenk_test'),
    TENK_ORDERS_TOPIC: topic,
    TENK_STORAGE_DIR: storageDir,
    TENK_REPORT_TTL: '1h',
    TENK_LOG_LEVEL: 'fatal',
  });
  ordersTopic = await TestTopic.create({ brokers: config.kafka.brokers, name: topic, clientId: 'reports-int' });
  app = await NestFactory.create(AppModule.forRoot(config), createHttpAdapter(), { logger: false });
  const server = salesEventsServer(app, config);
  await startMicroservices(app, [server]);
  await server.ready();
  const { defaultJobOptions, settings } = queueOptions(QUEUES.report, config);
  reportQueue = new Queue(QUEUES.report, {
    prefix: queuePrefix(config),
    redis: redisConnection(config.redis.queue),
    defaultJobOptions,
    settings,
  });
});

afterAll(async () => {
  const db = app?.get(CatalogDatabase).primary;
  if (db) {
    await db.query('DELETE FROM sales_daily_customers WHERE customer_id = ANY($1)', [[customerId, otherCustomerId]]);
    await db.query('DELETE FROM sales_daily_products WHERE product_id = ANY($1)', [products]);
    await db.query('DELETE FROM sales_events_applied WHERE event_id = ANY($1)', [eventIds]);
    await db.query('DELETE FROM report_requests WHERE owner_id = ANY($1)', [[customerId, otherCustomerId]]);
  }
  await app?.close();
  await reportQueue?.obliterate({ force: true });
  await reportQueue?.close();
  await ordersTopic?.delete();
  rmSync(storageDir, { recursive: true, force: true });
});

describe('sales aggregates and reports', () => {
  const placed = [
    event(customerId, '2001-02-03T09:00:00.000Z', [[0, 2, 1299]]),
    event(customerId, '2001-02-03T23:59:59.000Z', [
      [0, 1, 1299],
      [1, 3, 450],
    ]),
    event(customerId, '2001-02-05T00:00:00.000Z', [[1, 1, 450]]),
    event(otherCustomerId, '2001-02-04T12:00:00.000Z', [[0, 5, 1299]]),
    // Outside the report's range.
    event(customerId, '2001-02-10T12:00:00.000Z', [[0, 1, 1299]]),
  ];

  beforeAll(async () => {
    await ordersTopic.send(placed.map((e) => ({ key: e.orderId, value: JSON.stringify(e) })));
    // Kafka redelivers (an outbox relay retry, a consumer crash before its commit): the same events again.
    await ordersTopic.send(placed.slice(0, 3).map((e) => ({ key: e.orderId, value: JSON.stringify(e) })));
    await consumedEverything();
  });

  it('counts each event once however often it arrives', async () => {
    const db = app.get(CatalogDatabase).primary;
    const rows = (await db.query(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, orders, items, total_cents FROM sales_daily_customers WHERE customer_id = $1 ORDER BY day`,
      [customerId],
    )) as Array<Record<string, string | number>>;
    expect(rows.map((r) => [r['day'], Number(r['orders']), Number(r['items']), Number(r['total_cents'])])).toEqual([
      ['2001-02-03', 2, 6, 2 * 1299 + 1299 + 3 * 450],
      ['2001-02-05', 1, 1, 450],
      ['2001-02-10', 1, 1, 1299],
    ]);
  });

  it('writes a my-orders CSV whose totals match the orders placed in the range', async () => {
    const { csv } = await buildReport('my-orders', customerId, '2001-02-01', '2001-02-07');
    expect(csv[0]).toEqual(['day', 'currency', 'orders', 'items', 'total_cents', 'total']);
    const rows = csv.slice(1);
    const inRange = placed.filter((e) => e.customerId === customerId && e.occurredAt < '2001-02-08');
    expect(rows.reduce((sum, row) => sum + Number(row[4]), 0)).toBe(inRange.reduce((sum, e) => sum + e.totalCents, 0));
    expect(rows.reduce((sum, row) => sum + Number(row[2]), 0)).toBe(inRange.length);
    expect(rows).toEqual([
      ['2001-02-03', 'EUR', '2', '6', '5247', '52.47'],
      ['2001-02-05', 'EUR', '1', '1', '450', '4.50'],
    ]);
  });

  it('writes sales-by-product over every customer (names with commas and quotes survive)', async () => {
    const { csv } = await buildReport('sales-by-product', customerId, '2001-02-01', '2001-02-07');
    const ours = csv.filter((row) => products.includes(row[0]));
    expect(ours).toEqual([
      [products[0], 'SKU-0', 'Mug, "large"', 'EUR', '3', '8', String(8 * 1299), '103.92'],
      [products[1], 'SKU-1', 'Tea', 'EUR', '2', '4', String(4 * 450), '18.00'],
    ]);
  });

  it('deletes files past their time to live and marks the report expired', async () => {
    const { id } = await buildReport('my-orders', otherCustomerId, '2001-02-01', '2001-02-07');
    const requests = app.get(ReportRequests);
    const fileKey = (await requests.find(id))!.fileKey!;
    const store = new LocalObjectStore(storageDir);
    expect(await store.stat(fileKey)).toBeDefined();
    // Written "two hours ago" with a one-hour time to live.
    await app.get(CatalogDatabase).primary.query(`UPDATE report_requests SET expires_at = now() - interval '1 hour' WHERE id = $1`, [id]);
    const { expired } = await app.get(ReportProcessor).expire();
    expect(expired).toBeGreaterThanOrEqual(1);
    expect(await store.stat(fileKey)).toBeUndefined();
    expect(await requests.find(id)).toMatchObject({ state: 'expired', fileKey: null });
  });

  it('schedules the expiry sweep once, however many reports processes start', async () => {
    await app.get(ReportProcessor).onApplicationBootstrap(); // what a second process does at boot
    const repeatable = await reportQueue.getRepeatableJobs();
    expect(repeatable.filter((job) => job.name === 'report.expire.v1')).toHaveLength(1);
  });
});

import type { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Consumer, type KafkaMessage } from 'kafkajs';
import { DataSource } from 'typeorm';
import { loadConfig, type TenkConfig } from '@tenk/config';
import { parseOrderPlacedV1 } from '@tenk/contracts';
import { createScratchDatabases, createShardDataSource, type ScratchDatabases } from '@tenk/database';
import { eventProducerClient } from '@tenk/messaging';
import { startTracing, stopTracing } from '@tenk/observability';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { eventually, freePort, TestTopic, uniqueName } from '@tenk/testing';
import { PaymentSimProcess } from '../../payments/testing/payment-sim-process';
import { addProducts, isolatedEnv, ShopClient, startOrdersApp } from '../testing/orders-test-app';
import { ALL_ACKNOWLEDGED, KafkaOutboxPublisher, type OutboxPublisher } from './outbox-publisher';
import { OutboxRelay } from './outbox-relay';

/**
 * The outbox relay against the real broker, on a topic of its own. A proxy in front of Kafka
 * cannot fake an outage (the broker tells clients its own address), so the outage is a relay
 * whose producer points at an address where no broker listens, then one with the real broker.
 */
describe('outbox relay', () => {
  let scratch: ScratchDatabases;
  let testTopic: TestTopic;
  let topic: string;
  let kafka: Kafka;
  let shards: DataSource[];
  const consumers: Consumer[] = [];

  beforeAll(async () => {
    const base = loadConfig();
    testTopic = await TestTopic.create({
      brokers: base.kafka.brokers,
      name: uniqueName('orders.events.test').replace(/_/g, '-'),
      clientId: 'outbox-test',
    });
    topic = testTopic.name;
    kafka = new Kafka({ clientId: 'outbox-test', brokers: base.kafka.brokers, logLevel: logLevel.NOTHING });
    scratch = await createScratchDatabases(base, { name: uniqueName('outbox'), shards: 2, env: { TENK_ORDERS_TOPIC: topic } });
    shards = await Promise.all(
      scratch.shards.map(async (_name, index) => createShardDataSource(scratch.config, index, [], 'outbox-test').initialize()),
    );
  });

  afterAll(async () => {
    await Promise.all(consumers.map((consumer) => consumer.disconnect()));
    await Promise.all((shards ?? []).map((shard) => shard.destroy()));
    await scratch?.drop();
    await testTopic?.delete();
  });

  /** The messages of `eventType` on the test topic, read from the start by a new consumer group. */
  async function readTopic(eventType: string, expected: number): Promise<KafkaMessage[]> {
    const messages: KafkaMessage[] = [];
    const consumer = kafka.consumer({ groupId: uniqueName('outbox-test') });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (message.headers?.['event-type']?.toString() === eventType) messages.push(message);
      },
    });
    await eventually(() => messages.length >= expected, `expected ${expected} messages on ${topic}`, 30_000);
    // A moment more, so a duplicate would have arrived too.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await consumer.stop();
    return messages;
  }

  async function insertRows(shard: DataSource, count: number): Promise<string[]> {
    const ids = Array.from({ length: count }, () => randomUUID());
    await shard.query(
      `INSERT INTO outbox (event_id, topic, message_key, event_type, payload)
       SELECT id, $2, 'key-' || id, 'Test', jsonb_build_object('eventId', id) FROM unnest($1::uuid[]) AS id`,
      [ids, topic],
    );
    return ids;
  }

  const relay = (publisher: KafkaOutboxPublisher) =>
    new OutboxRelay({
      shards: scratch.shards.map((name, index) => ({ name, source: async () => shards[index] })),
      publisher,
      batchSize: 50,
      pollIntervalMs: 20,
      maxBackoffMs: 200,
      retentionMs: 3_600_000,
    });

  it('keeps rows while the broker is unreachable and sends each exactly once when it is back, with relays racing', async () => {
    const ids = [...(await insertRows(shards[0], 120)), ...(await insertRows(shards[1], 80))];

    const nowherePort = await freePort();
    const nowhere = new KafkaOutboxPublisher(() =>
      eventProducerClient({
        clientId: 'outbox-test',
        brokers: [`127.0.0.1:${nowherePort}`],
        logLevel: logLevel.NOTHING,
        retry: { retries: 1, initialRetryTime: 50 },
        connectionTimeout: 500,
      }),
    );
    const down = relay(nowhere);
    await expect(down.drainOnce(scratch.shards[0])).rejects.toThrow(/could not publish 50 outbox rows/);
    const [failed] = (await shards[0].query(
      `SELECT count(*)::int AS n, max(attempts) AS attempts, bool_and(last_error IS NOT NULL) AS noted FROM outbox WHERE published_at IS NULL`,
    )) as Array<{ n: number; attempts: number; noted: boolean }>;
    expect(failed.n).toBe(120);
    expect(failed.attempts).toBe(1);
    await down.stop();
    await nowhere.onApplicationShutdown();

    // The broker is back: two relays (two api instances) drain the same shards at once.
    const publishers = [1, 2].map(
      () =>
        new KafkaOutboxPublisher(() =>
          eventProducerClient({ clientId: 'outbox-test', brokers: loadConfig().kafka.brokers, logLevel: logLevel.NOTHING }),
        ),
    );
    const relays = publishers.map((publisher) => relay(publisher));
    relays.forEach((r) => r.start());
    try {
      await eventually(async () => {
        const counts = await Promise.all(
          shards.map(
            async (shard) =>
              ((await shard.query('SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL')) as Array<{ n: number }>)[0].n,
          ),
        );
        return counts.every((n) => n === 0);
      }, 'the backlog never drained');
    } finally {
      await Promise.all(relays.map((r) => r.stop()));
      await Promise.all(publishers.map((publisher) => publisher.onApplicationShutdown()));
    }
    const messages = await readTopic('Test', ids.length);
    const eventIds = messages.map((message) => message.headers?.['event-id']?.toString());
    expect(eventIds).toHaveLength(ids.length);
    expect(new Set(eventIds)).toEqual(new Set(ids));
  });

  it('marks only the acknowledged rows of a partly acknowledged round sent; the others wait, their reason noted, for the next round', async () => {
    const ids = await insertRows(shards[1], 10);
    const held = new Set(ids.slice(0, 4)); // a cut broker's partitions, say
    let rounds = 0;
    const partly: OutboxPublisher = {
      publish: async (messages) => {
        rounds++;
        if (rounds > 1) return ALL_ACKNOWLEDGED;
        return {
          unacknowledged: new Set(messages.filter((m) => held.has(m.eventId)).map((m) => m.eventId)),
          error: new Error('broker 2 did not acknowledge within 5000 ms'),
        };
      },
    };
    const events: string[] = [];
    const partlyRelay = new OutboxRelay({
      shards: [{ name: scratch.shards[1], source: async () => shards[1] }],
      publisher: partly,
      batchSize: 50,
      pollIntervalMs: 20,
      maxBackoffMs: 200,
      retentionMs: 3_600_000,
      onEvent: (event) => events.push(`${event.type}${'count' in event ? ` ${event.count}` : ''}`),
    });
    const rowsOf = async () =>
      (await shards[1].query(
        `SELECT event_id::text AS id, published_at IS NOT NULL AS sent, attempts, last_error FROM outbox WHERE event_id = ANY($1::uuid[])`,
        [ids],
      )) as Array<{ id: string; sent: boolean; attempts: number; last_error: string | null }>;

    expect(await partlyRelay.drainOnce(scratch.shards[1])).toBe(10);
    const first = await rowsOf();
    expect(
      first
        .filter((row) => row.sent)
        .map((row) => row.id)
        .sort(),
    ).toEqual(ids.slice(4).sort());
    for (const row of first.filter((candidate) => !candidate.sent)) {
      expect(row.attempts).toBe(1);
      expect(row.last_error).toContain('broker 2 did not acknowledge');
    }
    expect(events).toEqual(expect.arrayContaining(['failed 4', 'published 6']));

    await partlyRelay.drainOnce(scratch.shards[1]);
    const second = await rowsOf();
    expect(second.every((row) => row.sent)).toBe(true);
    expect(second.filter((row) => held.has(row.id)).map((row) => row.attempts)).toEqual([2, 2, 2, 2]);
  });

  it('continues the trace of the request that wrote a row: a PRODUCER span per row, its traceparent in the message headers', async () => {
    const exporter = new InMemorySpanExporter();
    startTracing({ service: 'outbox-test', config: loadConfig().tracing, exporter });
    const publisher = new KafkaOutboxPublisher(() =>
      eventProducerClient({ clientId: 'outbox-test', brokers: loadConfig().kafka.brokers, logLevel: logLevel.NOTHING }),
    );
    try {
      const traced = randomUUID();
      const untraced = randomUUID();
      const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      await shards[1].query(
        `INSERT INTO outbox (event_id, topic, message_key, event_type, payload, trace_parent)
         VALUES ($1::uuid, $3, 'traced', 'Traced', jsonb_build_object('eventId', $1::text), $4), ($2::uuid, $3, 'untraced', 'Traced', jsonb_build_object('eventId', $2::text), NULL)`,
        [traced, untraced, topic, traceparent],
      );
      await relay(publisher).drainOnce(scratch.shards[1]);
      const spans = exporter.getFinishedSpans();
      expect(spans).toHaveLength(1); // the row without a trace gets no span
      const [span] = spans;
      expect(span.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
      expect(span.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
      expect(span.attributes).toMatchObject({
        'messaging.destination.name': topic,
        'tenk.outbox.shard': scratch.shards[1],
        'tenk.outbox.attempt': 1,
      });
      const messages = await readTopic('Traced', 2);
      const header = (key: string) => messages.find((message) => message.key?.toString() === key)?.headers?.traceparent?.toString();
      expect(header('traced')).toBe(`00-4bf92f3577b34da6a3ce929d0e0e4736-${span.spanContext().spanId}-01`);
      expect(header('untraced')).toBeUndefined();
    } finally {
      await publisher.onApplicationShutdown();
      await stopTracing();
    }
  });

  describe('with the api', () => {
    let sim: PaymentSimProcess;
    let app: INestApplication | undefined;

    beforeAll(async () => {
      sim = await PaymentSimProcess.start();
    });

    afterAll(async () => {
      await app?.close();
      await sim?.stop();
    });

    it('accepts orders while Kafka is unreachable and publishes every OrderPlaced once it is back', async () => {
      const env = {
        TENK_PAYMENT_URL: sim.url,
        TENK_ORDERS_TOPIC: topic,
        TENK_OUTBOX_POLL: '50ms',
        TENK_OUTBOX_MAX_BACKOFF: '500ms',
        ...isolatedEnv('outbox'),
      };
      const scratchEnv = { ...process.env, ...env, TENK_PG_DATABASE: scratch.catalog, TENK_SHARD_DATABASES: scratch.shards.join(',') };
      const offline: TenkConfig = loadConfig({ ...scratchEnv, TENK_KAFKA_BROKERS: `127.0.0.1:${await freePort()}` });
      const [product] = await addProducts(offline, [{ sku: 'RELAY', priceCents: 500, stock: 100 }]);
      const before = await unpublishedOrders();

      ({ app } = await startOrdersApp(offline));
      const customer = new ShopClient(await app.getUrl());
      const email = `${uniqueName('relay')}@example.com`;
      await customer.signUp(email);
      const orderIds: string[] = [];
      for (let i = 0; i < 8; i++) {
        const response = await customer.request('POST', '/orders', {
          body: { lines: [{ productId: product, quantity: 1 }] },
          headers: { 'idempotency-key': randomUUID() },
        });
        expect(response.status).toBe(201);
        orderIds.push(String(response.body['id']));
      }
      await eventually(
        async () => (await unpublishedOrders()) - before === 8 && (await failedAttempts()) > 0,
        'the relay never tried the unreachable broker',
      );
      await app.close();
      app = undefined;

      // The same shop restarted with the broker reachable: the relay drains the backlog.
      ({ app } = await startOrdersApp(loadConfig(scratchEnv)));
      await eventually(async () => (await unpublishedOrders()) === 0, 'the backlog never drained');
      const events = await readTopic('OrderPlaced', 8);
      expect(events).toHaveLength(8);
      const payloads = events.map((message) => parseOrderPlacedV1(JSON.parse(String(message.value))));
      expect(new Set(payloads.map((event) => event.orderId))).toEqual(new Set(orderIds));
      expect(new Set(payloads.map((event) => event.eventId)).size).toBe(8);
      for (const [index, message] of events.entries()) expect(message.key?.toString()).toBe(payloads[index].orderId);
      expect(payloads.every((event) => event.customerEmail === email)).toBe(true);
    });

    async function unpublishedOrders(): Promise<number> {
      let total = 0;
      for (const shard of shards)
        total += (
          (await shard.query(`SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL AND event_type = 'OrderPlaced'`)) as Array<{
            n: number;
          }>
        )[0].n;
      return total;
    }

    async function failedAttempts(): Promise<number> {
      let total = 0;
      for (const shard of shards)
        total += (
          (await shard.query(
            `SELECT coalesce(sum(attempts), 0)::int AS n FROM outbox WHERE published_at IS NULL AND event_type = 'OrderPlaced'`,
          )) as Array<{ n: number }>
        )[0].n;
      return total;
    }
  });
});

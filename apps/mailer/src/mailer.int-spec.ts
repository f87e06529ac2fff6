/**
 * The mailer against the real stack: Kafka (a topic and consumer group of its own), Bull on
 * the queue Redis (its own queue prefix), the sent ledger in the catalog database, and the
 * SMTP sink, read back over its HTTP API. "Exactly one mail" is counted in the sink.
 */
import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import Queue from 'bull';
import { loadConfig, redisConnection, type TenkConfig } from '@tenk/config';
import { MAIL_KEYS, QUEUES, WELCOME_MAIL_V1, type OrderPlacedV1 } from '@tenk/contracts';
import { queueOptions, queuePrefix } from '@tenk/messaging';
import { startMicroservices, createHttpAdapter } from '@tenk/observability';
import { eventually, TcpProxy, TestTopic, uniqueName } from '@tenk/testing';
import { AppModule } from './app.module';
import { orderEventsServer } from './order-events.controller';

jest.setTimeout(120_000);

const base = loadConfig();
const sink = `http://127.0.0.1:${base.mail.sinkHttpPort}`;
const topic = uniqueName('tenk_test_orders');
const smtpProxy = new TcpProxy({ host: base.mail.smtp.host, port: base.mail.smtp.port });
let config: TenkConfig;
let app: INestApplication;
let ordersTopic: TestTopic;
let mailQueue: Queue.Queue;

interface SinkMessage {
  id: string;
  subject: string;
  messageId?: string;
}

async function mailsTo(address: string): Promise<SinkMessage[]> {
  return (await (await fetch(`${sink}/messages?to=${encodeURIComponent(address)}`)).json()) as SinkMessage[];
}

function orderPlaced(email: string): OrderPlacedV1 {
  return {
    type: 'OrderPlaced',
    version: 1,
    eventId: randomUUID(),
    occurredAt: new Date().toISOString(),
    orderId: randomUUID(),
    customerId: randomUUID(),
    customerEmail: email,
    currency: 'EUR',
    totalCents: 2598,
    lines: [{ productId: '12', sku: 'MUG-12', name: 'Mug', quantity: 2, unitPriceCents: 1299 }],
  };
}

/** Waits until the group has committed past every message now in the topic: all were handled. */
async function consumedEverything(): Promise<void> {
  await ordersTopic.consumedBy(`${config.messaging.kafka.groupPrefix}.mailer`);
}

async function jobFinished(jobId: string): Promise<string> {
  return eventually(
    async () => {
      const state = await (await mailQueue.getJob(jobId))?.getState();
      return state === 'completed' || state === 'failed' ? state : undefined;
    },
    `mail job ${jobId} never finished`,
    60_000,
    100,
  );
}

beforeAll(async () => {
  await smtpProxy.start();
  config = loadConfig({
    ...process.env,
    TENK_QUEUE_PREFIX: uniqueName('tenk_test_mailer'),
    TENK_KAFKA_GROUP_PREFIX: uniqueName('tenk_test'),
    TENK_ORDERS_TOPIC: topic,
    TENK_SMTP_PORT: String(smtpProxy.port),
    TENK_MAIL_BACKOFF: '300ms',
    // The broken messages and the cut SMTP connection below log errors on purpose.
    TENK_LOG_LEVEL: 'fatal',
  });
  ordersTopic = await TestTopic.create({ brokers: config.kafka.brokers, name: topic, clientId: 'mailer-int' });

  app = await NestFactory.create(AppModule.forRoot(config), createHttpAdapter(), { logger: false });
  const server = orderEventsServer(app, config);
  await startMicroservices(app, [server]);
  await server.ready();
  const { defaultJobOptions, settings } = queueOptions(QUEUES.mail, config);
  mailQueue = new Queue(QUEUES.mail, {
    prefix: queuePrefix(config),
    redis: redisConnection(config.redis.queue),
    defaultJobOptions,
    settings,
  });
});

afterAll(async () => {
  await app?.close();
  await mailQueue?.obliterate({ force: true });
  await mailQueue?.close();
  await ordersTopic?.delete();
  await smtpProxy.stop();
});

describe('order confirmations from orders.events', () => {
  it('sends exactly one confirmation for an event Kafka delivers twice', async () => {
    const email = `${uniqueName('buyer')}@example.test`;
    const event = orderPlaced(email);
    const message = { key: event.orderId, value: JSON.stringify(event) };
    await ordersTopic.send([message]);
    await ordersTopic.send([message]); // the outbox relay retried: same event id

    await consumedEverything();
    expect(await jobFinished(MAIL_KEYS.orderConfirmation(event.eventId))).toBe('completed');
    const mails = await eventually(async () => ((await mailsTo(email)).length > 0 ? mailsTo(email) : undefined), 'no confirmation arrived');
    expect(mails).toHaveLength(1);
    expect(mails[0].subject).toBe(`Your tenk order ${event.orderId} is confirmed`);
    expect(mails[0].messageId).toBe(`<order-confirmation.${event.eventId}@tenk.mail>`);
    const full = (await (await fetch(`${sink}/messages/${mails[0].id}`)).json()) as { text: string; html: string };
    expect(full.text).toContain('2 x Mug (MUG-12)');
    expect(full.html).toContain('€25.98');
  });

  it('sends once even when the same event comes back after its job was cleaned away', async () => {
    const email = `${uniqueName('buyer')}@example.test`;
    const event = orderPlaced(email);
    await ordersTopic.send([{ key: event.orderId, value: JSON.stringify(event) }]);
    await consumedEverything();
    const jobId = MAIL_KEYS.orderConfirmation(event.eventId);
    expect(await jobFinished(jobId)).toBe('completed');
    // Bull forgets finished jobs after a while; a redelivery then makes a new job.
    await (await mailQueue.getJob(jobId))!.remove();
    await ordersTopic.send([{ key: event.orderId, value: JSON.stringify(event) }]);
    await consumedEverything();
    const second = await mailQueue.getJob(jobId);
    expect(await second!.finished()).toEqual({ outcome: 'already-sent' });
    expect(await mailsTo(email)).toHaveLength(1);
  });

  it('skips a message that breaks the contract and keeps going', async () => {
    const email = `${uniqueName('buyer')}@example.test`;
    const event = orderPlaced(email);
    await ordersTopic.send([
      { key: 'x', value: 'not json at all' },
      { key: 'y', value: JSON.stringify({ type: 'OrderPlaced', version: 1, eventId: 'broken' }) },
      { key: 'z', value: JSON.stringify({ type: 'OrderShipped', version: 1, eventId: randomUUID() }) },
      { key: event.orderId, value: JSON.stringify(event) },
    ]);
    await consumedEverything();
    await eventually(async () => (await mailsTo(email)).length === 1, 'the valid event after the broken ones got no mail');
  });
});

describe('mail jobs', () => {
  function welcome(userId: string, email: string) {
    return { userId, email, name: 'Grace' };
  }

  it('sends one welcome mail when the job runs twice (a retry after the mail went out)', async () => {
    const userId = randomUUID();
    const email = `${uniqueName('new')}@example.test`;
    const first = await mailQueue.add(WELCOME_MAIL_V1.name, welcome(userId, email), { jobId: MAIL_KEYS.welcome(userId) });
    expect(await first.finished()).toEqual({ outcome: 'sent' });
    const again = await mailQueue.add(WELCOME_MAIL_V1.name, welcome(userId, email), { jobId: `${MAIL_KEYS.welcome(userId)}:again` });
    expect(await again.finished()).toEqual({ outcome: 'already-sent' });
    const mails = await mailsTo(email);
    expect(mails.map((mail) => mail.subject)).toEqual(['Welcome to tenk, Grace']);
  });

  it('sends one mail when two workers race on the same mail', async () => {
    const userId = randomUUID();
    const email = `${uniqueName('race')}@example.test`;
    const jobs = await Promise.all(
      [1, 2, 3].map((n) => mailQueue.add(WELCOME_MAIL_V1.name, welcome(userId, email), { jobId: `${MAIL_KEYS.welcome(userId)}:${n}` })),
    );
    const outcomes = (await Promise.all(jobs.map((job) => job.finished()))) as Array<{ outcome: string }>;
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['already-sent', 'already-sent', 'sent']);
    expect(await mailsTo(email)).toHaveLength(1);
  });

  it('retries while the SMTP server is unreachable, then sends once', async () => {
    const userId = randomUUID();
    const email = `${uniqueName('retry')}@example.test`;
    smtpProxy.cut();
    const job = await mailQueue.add(WELCOME_MAIL_V1.name, welcome(userId, email), { jobId: MAIL_KEYS.welcome(userId) });
    await eventually(async () => ((await mailQueue.getJob(job.id))?.attemptsMade ?? 0) >= 2, 'the job was not retried', 30_000, 100);
    expect(await mailsTo(email)).toHaveLength(0);
    smtpProxy.restore();
    expect(await job.finished()).toEqual({ outcome: 'sent' });
    expect(await mailsTo(email)).toHaveLength(1);
  });
});

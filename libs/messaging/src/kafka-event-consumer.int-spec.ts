/**
 * KafkaEventConsumer against the real broker (a topic and group of its own): a handler that
 * keeps failing for longer than the session timeout is retried in place while the consumer
 * keeps heartbeating, so the group never rebalances and no message is skipped or reordered;
 * a group that joined once and went away handles every message produced meanwhile, on every
 * partition, although it had never committed on any of them (issue 13's lost confirmations).
 */
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigModule, loadConfig } from '@tenk/config';
import { QUEUES } from '@tenk/contracts';
import { MetricsService, ObservabilityModule } from '@tenk/observability';
import { eventually, TestTopic, uniqueName } from '@tenk/testing';
import type { EventConsumerOptions } from './kafka-event-consumer';
import { KafkaConsumers } from './kafka-consumers';
import { MessagingModule } from './messaging.module';

jest.setTimeout(90_000);

const SESSION_TIMEOUT_MS = 6_000; // the broker's minimum (group.min.session.timeout.ms)
const topic = uniqueName('tenk_test_consumer');
const config = loadConfig({
  ...process.env,
  TENK_QUEUE_PREFIX: uniqueName('tenk_test_consumer'),
  TENK_KAFKA_GROUP_PREFIX: uniqueName('tenk_test'),
  TENK_KAFKA_SESSION_TIMEOUT: `${SESSION_TIMEOUT_MS}ms`,
  TENK_KAFKA_HEARTBEAT_INTERVAL: '1s',
  TENK_LOG_LEVEL: 'fatal',
});

@Module({
  imports: [
    ConfigModule.forRoot(config),
    ObservabilityModule.forRoot({ service: 'consumer-int' }),
    MessagingModule.forRoot({ queues: [QUEUES.mail], kafka: true, queueRedisCritical: false }),
  ],
})
class ConsumerTestModule {}

let app: INestApplicationContext;
let testTopic: TestTopic;

beforeAll(async () => {
  testTopic = await TestTopic.create({ brokers: config.kafka.brokers, name: topic, partitions: 1, clientId: 'consumer-int' });
  app = await NestFactory.createApplicationContext(ConsumerTestModule, { logger: false });
});

afterAll(async () => {
  await app?.close();
  await testTopic?.delete();
});

it('retries a failing handler in place past the session timeout without a rebalance, then moves on in order', async () => {
  const consumers = app.get(KafkaConsumers);
  const handled: string[] = [];
  let failUntil = 0;
  const consumer = consumers.create({
    groupId: consumers.groupId('int'),
    topic,
    fromBeginning: true,
    handle: async (value) => {
      const { n } = value as { n: string };
      if (n === 'first') failUntil ||= Date.now() + SESSION_TIMEOUT_MS * 1.5;
      if (n === 'first' && Date.now() < failUntil) throw new Error('the database is down (simulated)');
      handled.push(n);
    },
  });
  await consumer.start();
  await consumer.ready();
  await testTopic.send(['first', 'second', 'third'].map((n) => ({ value: JSON.stringify({ n }) })));

  await eventually(() => handled.length === 3, 'the consumer did not get past the failing message', 60_000, 100);
  expect(handled).toEqual(['first', 'second', 'third']);
  const metrics = await app.get(MetricsService).registry.getSingleMetric('tenk_kafka_group_joins_total')!.get();
  expect(metrics.values.reduce((sum, value) => sum + value.value, 0)).toBe(1); // joined once: no rebalance
  const retried = await app.get(MetricsService).registry.getSingleMetric('tenk_kafka_messages_total')!.get();
  expect(retried.values.find((value) => value.labels['outcome'] === 'retried')?.value).toBeGreaterThan(2);
  await consumer.stop();
});

it('handles every message produced while a new-messages-only group was away, on partitions it never committed on', async () => {
  const partitions = 3;
  const away = await TestTopic.create({ brokers: config.kafka.brokers, name: uniqueName('tenk_test_away'), partitions, clientId: 'consumer-int' });
  try {
    const consumers = app.get(KafkaConsumers);
    const handled: string[] = [];
    const options: EventConsumerOptions = {
      groupId: consumers.groupId(uniqueName('away')),
      topic: away.name,
      fromBeginning: false,
      handle: async (value) => {
        handled.push((value as { n: string }).n);
      },
    };
    // Before the group exists: a new-messages-only group never sees these.
    await away.send([{ partition: 0, value: JSON.stringify({ n: 'before' }) }]);
    const first = consumers.create(options);
    await first.start();
    await first.ready();
    await first.stop(); // the mailer stopped (a deploy, the broker down): nothing was ever committed

    const sent = Array.from({ length: partitions * 2 }, (_, i) => `while-away-${i}`);
    await away.send(sent.map((n, i) => ({ partition: i % partitions, value: JSON.stringify({ n }) })));
    const second = consumers.create(options);
    await second.start();
    await away.consumedBy(options.groupId);
    await new Promise((resolve) => setTimeout(resolve, 500)); // a duplicate would have arrived by now
    expect([...handled].sort()).toEqual([...sent].sort());
    await second.stop();
  } finally {
    await away.delete();
  }
});

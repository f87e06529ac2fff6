/**
 * KafkaEventServer (Nest's Kafka transport, extended) against the real broker, each test on a
 * topic and group of its own, through an `@EventPattern` controller as the services write them:
 * - a handler that keeps failing for longer than the session timeout is retried in place while
 *   the member keeps heartbeating, so the group never rebalances and no message is skipped or
 *   reordered;
 * - messages that break the contract are skipped, counted and committed past;
 * - a group that joined once and went away handles every message produced meanwhile, on every
 *   partition, although it had never committed on any of them (issue 13's lost confirmations).
 */
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern, Payload } from '@nestjs/microservices';
import { ConfigModule, loadConfig } from '@tenk/config';
import { ContractError, QUEUES } from '@tenk/contracts';
import { MetricsService, ObservabilityModule, startMicroservices, createHttpAdapter } from '@tenk/observability';
import { eventually, TestTopic, uniqueName } from '@tenk/testing';
import { KafkaEventController } from './kafka-event-controller.decorator';
import { EventContractPipe } from './kafka-event.pipe';
import type { KafkaEventServer } from './kafka-event.server';
import { KafkaTransport } from './kafka-transport';
import { MessagingModule } from './messaging.module';

jest.setTimeout(90_000);

const SESSION_TIMEOUT_MS = 6_000; // the broker's minimum (group.min.session.timeout.ms)
const TEST_EVENTS = 'test.events';
const config = loadConfig({
  ...process.env,
  TENK_QUEUE_PREFIX: uniqueName('tenk_test_consumer'),
  TENK_KAFKA_GROUP_PREFIX: uniqueName('tenk_test'),
  TENK_KAFKA_SESSION_TIMEOUT: `${SESSION_TIMEOUT_MS}ms`,
  TENK_KAFKA_HEARTBEAT_INTERVAL: '1s',
  TENK_LOG_LEVEL: 'fatal',
});

interface TestEvent {
  type: 'Test';
  n: string;
}

function parseTestEvent(value: unknown): TestEvent {
  const n = (value as { n?: unknown }).n;
  if (typeof n !== 'string') throw new ContractError('n: expected a string');
  return { type: 'Test', n };
}

/** What the controller does with each event; each test sets it. */
let handle: (event: TestEvent) => Promise<void> = async () => undefined;

@KafkaEventController()
class TestEventsController {
  @EventPattern(TEST_EVENTS)
  async onEvent(@Payload(new EventContractPipe('Test', parseTestEvent)) event: TestEvent | undefined): Promise<void> {
    if (event) await handle(event);
  }
}

@Module({
  imports: [
    ConfigModule.forRoot(config),
    ObservabilityModule.forRoot({ service: 'consumer-int' }),
    MessagingModule.forRoot({ queues: [QUEUES.mail], kafka: true, queueRedisCritical: false }),
  ],
  controllers: [TestEventsController],
})
class ConsumerTestModule {}

const apps: INestApplication[] = [];
const topics: TestTopic[] = [];

async function topicOf(partitions: number): Promise<TestTopic> {
  const topic = await TestTopic.create({
    brokers: config.kafka.brokers,
    name: uniqueName('tenk_test_consumer'),
    partitions,
    clientId: 'consumer-int',
  });
  topics.push(topic);
  return topic;
}

/** A process consuming `topic` in group `<prefix>.<service>`, joined and its starts pinned. */
async function consume(
  topic: TestTopic,
  service: string,
  fromBeginning: boolean,
): Promise<{ app: INestApplication; server: KafkaEventServer; groupId: string }> {
  const app = await NestFactory.create(ConsumerTestModule, createHttpAdapter(), { logger: false });
  apps.push(app);
  const server = app.get(KafkaTransport).server({ service, topics: { [TEST_EVENTS]: topic.name }, fromBeginning });
  await startMicroservices(app, [server]);
  await server.ready();
  return { app, server, groupId: server.group };
}

async function metric(app: INestApplication, name: string, labels: Record<string, string> = {}): Promise<number> {
  const values = (await app.get(MetricsService).registry.getSingleMetric(name)!.get()).values;
  return values
    .filter((value) => Object.entries(labels).every(([key, wanted]) => value.labels[key] === wanted))
    .reduce((sum, value) => sum + value.value, 0);
}

afterAll(async () => {
  for (const app of apps) await app.close();
  for (const topic of topics) await topic.delete();
});

it('retries a failing handler in place past the session timeout without a rebalance, then moves on in order', async () => {
  const topic = await topicOf(1);
  const handled: string[] = [];
  let failUntil = 0;
  handle = async ({ n }) => {
    if (n === 'first') failUntil ||= Date.now() + SESSION_TIMEOUT_MS * 1.5;
    if (n === 'first' && Date.now() < failUntil) throw new Error('the database is down (simulated)');
    handled.push(n);
  };
  const { app, groupId } = await consume(topic, 'retry', true);
  await topic.send(['first', 'second', 'third'].map((n) => ({ value: JSON.stringify({ type: 'Test', n }) })));

  await eventually(() => handled.length === 3, 'the consumer did not get past the failing message', 60_000, 100);
  expect(handled).toEqual(['first', 'second', 'third']);
  await topic.consumedBy(groupId); // committed past all three
  expect(await metric(app, 'tenk_kafka_group_joins_total', { group: groupId })).toBe(1); // joined once: no rebalance
  expect(await metric(app, 'tenk_kafka_messages_total', { group: groupId, outcome: 'retried' })).toBeGreaterThan(2);
  expect(await metric(app, 'tenk_kafka_messages_total', { group: groupId, outcome: 'processed' })).toBe(3);
  const registry = app.get(MetricsService).registry;
  const handleTimes = (await registry.getSingleMetric('tenk_kafka_handle_duration_seconds')!.get()).values;
  expect(
    handleTimes.find(
      (value) =>
        (value as { metricName?: string }).metricName === 'tenk_kafka_handle_duration_seconds_count' && value.labels['group'] === groupId,
    )?.value,
  ).toBe(3);
  const lag = (await registry.getSingleMetric('tenk_kafka_consumer_lag')!.get()).values.filter(
    (value) => value.labels['group'] === groupId,
  );
  expect(lag.map((value) => [value.labels['partition'], value.value])).toEqual([['0', 0]]); // set after the last batch: nothing left behind
});

it('skips, counts and commits past messages that break the contract, and handles the next one', async () => {
  const topic = await topicOf(1);
  const handled: string[] = [];
  handle = async ({ n }) => {
    handled.push(n);
  };
  const { app, groupId } = await consume(topic, 'contract', true);
  await topic.send([
    { value: 'not json at all' },
    { value: JSON.stringify({ type: 'Test', n: 42 }) },
    { value: JSON.stringify({ type: 'Other', n: 'not for us' }) },
    { value: null },
    { value: JSON.stringify({ type: 'Test', n: 'valid' }) },
  ]);
  await topic.consumedBy(groupId);
  expect(handled).toEqual(['valid']);
  expect(await metric(app, 'tenk_kafka_messages_total', { group: groupId, outcome: 'invalid' })).toBe(2);
  expect(await metric(app, 'tenk_kafka_messages_total', { group: groupId, outcome: 'skipped' })).toBe(1);
  expect(await metric(app, 'tenk_kafka_messages_total', { group: groupId, outcome: 'retried' })).toBe(0);
});

it('handles every message produced while a new-messages-only group was away, on partitions it never committed on', async () => {
  const partitions = 3;
  const topic = await topicOf(partitions);
  const handled: string[] = [];
  handle = async ({ n }) => {
    handled.push(n);
  };
  // Before the group exists: a new-messages-only group never sees it.
  await topic.send([{ partition: 0, value: JSON.stringify({ type: 'Test', n: 'before' }) }]);
  const first = await consume(topic, 'away', false);
  await first.app.close(); // the mailer stopped (a deploy, the broker down): it had committed nothing

  const sent = Array.from({ length: partitions * 2 }, (_, i) => `while-away-${i}`);
  await topic.send(sent.map((n, i) => ({ partition: i % partitions, value: JSON.stringify({ type: 'Test', n }) })));
  const second = await consume(topic, 'away', false);
  await topic.consumedBy(second.groupId);
  await new Promise((resolve) => setTimeout(resolve, 500)); // a duplicate would have arrived by now
  expect([...handled].sort()).toEqual([...sent].sort());
});

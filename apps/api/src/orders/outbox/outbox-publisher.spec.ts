import type { ClientKafka } from '@nestjs/microservices';
import { Partitioners, type RecordMetadata } from 'kafkajs';
import { ALL_ACKNOWLEDGED, KafkaOutboxPublisher, type OutboxMessage } from './outbox-publisher';

const TOPIC = 'orders.events';
const PARTITIONS = 6;
/** The fake cluster's leaders: partition p is led by broker p % 3 (three brokers, as on tools/hosts). */
const leaderOf = (partition: number) => partition % 3;

/** Where kafkajs' default partitioner puts a key among the topic's partitions. */
function partitionOfKey(key: string): number {
  const choose = Partitioners.DefaultPartitioner();
  return choose({
    topic: TOPIC,
    partitionMetadata: Array.from({ length: PARTITIONS }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      replicas: [],
      isr: [],
      partitionErrorCode: 0,
    })),
    message: { key, value: null },
  });
}

/** An order id whose events go to `partition`. */
function keyOn(partition: number): string {
  for (let i = 0; i < 10_000; i++) if (partitionOfKey(`ord_test_${i}`) === partition) return `ord_test_${i}`;
  throw new Error(`no key for partition ${partition}`);
}

const message = (key: string): OutboxMessage => ({
  eventId: `event-${key}`,
  topic: TOPIC,
  key,
  eventType: 'OrderPlaced',
  payload: { orderId: key },
});

interface SentBatch {
  client: number;
  partitions: number[];
  answer(acknowledged: number[]): void;
  fail(error: Error): void;
}

/** The fake clients the publisher made, each numbered, with how often each asked for the topic's leaders. */
interface FakeCluster {
  sent: SentBatch[];
  made: number;
  metadataAsked: number;
  closed: number[];
  newClient(): ClientKafka;
}

/** ClientKafka factory whose producers hand each sendBatch to the test, which answers with the partitions it says were acknowledged. */
function fakeCluster(): FakeCluster {
  const cluster: FakeCluster = {
    sent: [],
    made: 0,
    metadataAsked: 0,
    closed: [],
    newClient: () => {
      const id = ++cluster.made;
      const producer = {
        sendBatch: ({ topicMessages }: { topicMessages: Array<{ topic: string; messages: Array<{ partition: number }> }> }) =>
          new Promise<RecordMetadata[]>((resolve, reject) => {
            cluster.sent.push({
              client: id,
              partitions: topicMessages.flatMap((entry) => entry.messages.map((m) => m.partition)),
              answer: (acknowledged) => resolve(acknowledged.map((partition) => ({ topicName: TOPIC, partition, errorCode: 0 }))),
              fail: reject,
            });
          }),
      };
      const admin = {
        connect: async () => undefined,
        disconnect: async () => undefined,
        fetchTopicMetadata: async () => {
          cluster.metadataAsked++;
          return {
            topics: [
              {
                name: TOPIC,
                partitions: Array.from({ length: PARTITIONS }, (_, partitionId) => ({ partitionId, leader: leaderOf(partitionId) })),
              },
            ],
          };
        },
      };
      return {
        connect: async () => producer,
        close: async () => void cluster.closed.push(id),
        client: { admin: () => admin },
      } as unknown as ClientKafka;
    },
  };
  return cluster;
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('KafkaOutboxPublisher', () => {
  it('sends one batch per partition leader, each message to the partition its key picks, and resolves when all are acknowledged', async () => {
    const cluster = fakeCluster();
    const publisher = new KafkaOutboxPublisher(cluster.newClient, { ackWaitMs: 5_000 });
    const publishing = publisher.publish([message(keyOn(0)), message(keyOn(3)), message(keyOn(1))]);
    await settle();
    // Partitions 0 and 3 share leader 0; partition 1 is led by broker 1.
    expect(cluster.sent.map((batch) => batch.partitions)).toEqual([[0, 3], [1]]);
    cluster.sent[0].answer([0, 3]);
    cluster.sent[1].answer([1]);
    await expect(publishing).resolves.toBe(ALL_ACKNOWLEDGED);
    await publisher.onApplicationShutdown();
  });

  it("goes on without a broker that does not answer: the others' messages are acknowledged, its own come back, and the next round uses a new client", async () => {
    const cluster = fakeCluster();
    const publisher = new KafkaOutboxPublisher(cluster.newClient, { ackWaitMs: 50 });
    const [healthy, cut] = [keyOn(0), keyOn(1)];
    const publishing = publisher.publish([message(healthy), message(cut)]);
    await settle();
    cluster.sent[0].answer([0]); // broker 0 answers; broker 1 (the cut one) never does
    const outcome = await publishing;
    expect([...outcome.unacknowledged]).toEqual([`event-${cut}`]);
    expect(outcome.error?.message).toMatch(/broker 1 did not acknowledge within 50 ms/);

    // Kafkajs would keep sending partition 1 to the cut broker (no new metadata after a request
    // timeout): the next round asks for the leaders again, through a new client.
    const again = publisher.publish([message(cut)]);
    await settle();
    expect(cluster.made).toBe(2);
    expect(cluster.metadataAsked).toBe(2);
    expect(cluster.sent[2]).toMatchObject({ client: 2, partitions: [1] });
    cluster.sent[2].answer([1]);
    await expect(again).resolves.toBe(ALL_ACKNOWLEDGED);
    await publisher.onApplicationShutdown();
    expect(cluster.closed.sort()).toEqual([1, 2]);
  });

  it('lists the messages of a partition missing from the acknowledgements (kafkajs resolves without it when its leader moves)', async () => {
    const cluster = fakeCluster();
    const publisher = new KafkaOutboxPublisher(cluster.newClient, { ackWaitMs: 5_000 });
    const publishing = publisher.publish([message(keyOn(0)), message(keyOn(3))]);
    await settle();
    cluster.sent[0].answer([0]);
    const outcome = await publishing;
    expect([...outcome.unacknowledged]).toEqual([`event-${keyOn(3)}`]);
    expect(outcome.error?.message).toContain(`without an acknowledgement for ${TOPIC}[3]`);
    await publisher.onApplicationShutdown();
  });

  it('rejects when nothing at all was acknowledged, so the breaker counts the round as failed', async () => {
    const cluster = fakeCluster();
    const publisher = new KafkaOutboxPublisher(cluster.newClient, { ackWaitMs: 5_000 });
    const publishing = publisher.publish([message(keyOn(0)), message(keyOn(1))]);
    await settle();
    cluster.sent[0].fail(new Error('Connection error: ECONNREFUSED'));
    cluster.sent[1].answer([]);
    await expect(publishing).rejects.toThrow('ECONNREFUSED');
    await publisher.onApplicationShutdown();
  });

  it("checks each send against its own partitions when another relay loop's failed round cleared the leaders meanwhile", async () => {
    // Two relay loops (two shards) share the publisher. Both sends are out when a leader moves;
    // the first comes back empty and clears the cached leaders. The second then comes back with
    // partition 0 alone: its message for partition 1 must not be checked as partition 0's.
    const cluster = fakeCluster();
    const publisher = new KafkaOutboxPublisher(cluster.newClient, { ackWaitMs: 5_000 });
    const first = publisher.publish([message(keyOn(2))]);
    const second = publisher.publish([message(keyOn(0)), message(keyOn(4))]);
    await settle();
    expect(cluster.sent).toHaveLength(3);
    cluster.sent[0].answer([]);
    await expect(first).rejects.toThrow(/without an acknowledgement/);
    cluster.sent[1].answer([0]);
    cluster.sent[2].answer([]);
    const outcome = await second;
    expect([...outcome.unacknowledged]).toEqual([`event-${keyOn(4)}`]);
    await publisher.onApplicationShutdown();
  });
});

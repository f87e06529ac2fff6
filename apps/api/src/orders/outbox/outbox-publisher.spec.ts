import type { ClientKafka } from '@nestjs/microservices';
import { Partitioners, type RecordMetadata } from 'kafkajs';
import { KafkaOutboxPublisher, type OutboxMessage } from './outbox-publisher';

const TOPIC = 'orders.events';
const PARTITIONS = 6;

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

/** Order ids whose events go to partition 0, and to some other partition. */
function keysFor(): { onZero: string; elsewhere: string[] } {
  const elsewhere: string[] = [];
  let onZero: string | undefined;
  for (let i = 0; (!onZero || elsewhere.length < 2) && i < 1_000; i++) {
    const key = `ord_test_${i}`;
    if (partitionOfKey(key) === 0) onZero ??= key;
    else if (elsewhere.length < 2) elsewhere.push(key);
  }
  return { onZero: onZero!, elsewhere };
}

const message = (key: string): OutboxMessage => ({
  eventId: `event-${key}`,
  topic: TOPIC,
  key,
  eventType: 'OrderPlaced',
  payload: { orderId: key },
});

interface SentBatch {
  partitions: number[];
  answer(acknowledged: number[]): void;
}

/** A ClientKafka whose producer hands each sendBatch to the test, which answers with the partitions it says were acknowledged. */
function fakeClient(sent: SentBatch[]): ClientKafka {
  const producer = {
    sendBatch: ({ topicMessages }: { topicMessages: Array<{ topic: string; messages: Array<{ partition: number }> }> }) =>
      new Promise<RecordMetadata[]>((resolve) => {
        sent.push({
          partitions: topicMessages.flatMap((entry) => entry.messages.map((m) => m.partition)),
          answer: (acknowledged) => resolve(acknowledged.map((partition) => ({ topicName: TOPIC, partition, errorCode: 0 }))),
        });
      }),
  };
  const admin = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    fetchTopicMetadata: async () => ({
      topics: [{ name: TOPIC, partitions: Array.from({ length: PARTITIONS }, (_, partitionId) => ({ partitionId })) }],
    }),
  };
  return { connect: async () => producer, close: async () => undefined, client: { admin: () => admin } } as unknown as ClientKafka;
}

describe('KafkaOutboxPublisher', () => {
  it('sends each message to the partition its key picks, and resolves when every one of them is acknowledged', async () => {
    const sent: SentBatch[] = [];
    const publisher = new KafkaOutboxPublisher(fakeClient(sent));
    const { onZero, elsewhere } = keysFor();
    const publishing = publisher.publish([message(onZero), message(elsewhere[0])]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent[0].partitions).toEqual([0, partitionOfKey(elsewhere[0])]);
    sent[0].answer([0, partitionOfKey(elsewhere[0])]);
    await expect(publishing).resolves.toBeUndefined();
  });

  it('fails a send that comes back without a partition it wrote to, so the rows go out again', async () => {
    const sent: SentBatch[] = [];
    const publisher = new KafkaOutboxPublisher(fakeClient(sent));
    const { onZero, elsewhere } = keysFor();
    const publishing = publisher.publish([message(onZero), message(elsewhere[0])]);
    await new Promise((resolve) => setImmediate(resolve));
    sent[0].answer([0]);
    await expect(publishing).rejects.toThrow(`without an acknowledgement for ${TOPIC}[${partitionOfKey(elsewhere[0])}]`);
  });

  it("still fails a short send when another relay loop's short send cleared the partition counts while it was out", async () => {
    // Two relay loops (two shards) share the publisher. Both sends are out when the partition
    // leader moves; the first comes back short and clears the cached partition count. The second
    // then comes back short too, with partition 0 acknowledged: it must not check its messages as
    // if they had all gone to partition 0.
    const sent: SentBatch[] = [];
    const publisher = new KafkaOutboxPublisher(fakeClient(sent));
    const { onZero, elsewhere } = keysFor();
    const first = publisher.publish([message(elsewhere[1])]);
    const second = publisher.publish([message(onZero), message(elsewhere[0])]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toHaveLength(2);
    sent[0].answer([]);
    await expect(first).rejects.toThrow(/without an acknowledgement/);
    sent[1].answer([0]);
    await expect(second).rejects.toThrow(`without an acknowledgement for ${TOPIC}[${partitionOfKey(elsewhere[0])}]`);
  });
});

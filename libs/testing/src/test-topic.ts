import { Kafka, logLevel, type Admin, type Message, type Producer } from 'kafkajs';
import { eventually } from './wait';

export interface TestTopicOptions {
  brokers: string[];
  /** Use uniqueName(): a topic no other test or earlier run uses. */
  name: string;
  partitions?: number;
  clientId?: string;
}

/**
 * A Kafka topic of a test's own on the real broker, with an idempotent producer to publish to
 * it, and a way to wait until a consumer group has handled everything in it. `delete()`
 * removes the topic and closes the clients.
 */
export class TestTopic {
  private constructor(
    readonly name: string,
    readonly admin: Admin,
    readonly producer: Producer,
  ) {}

  static async create(options: TestTopicOptions): Promise<TestTopic> {
    const kafka = new Kafka({ clientId: options.clientId ?? 'tenk-test', brokers: options.brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: options.name, numPartitions: options.partitions ?? 3 }], waitForLeaders: true });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    return new TestTopic(options.name, admin, producer);
  }

  async send(messages: Message[]): Promise<void> {
    await this.producer.send({ topic: this.name, messages });
  }

  /** Waits until `groupId` has committed past every message now in the topic: all were handled. */
  async consumedBy(groupId: string, timeoutMs = 30_000): Promise<void> {
    await eventually(
      async () => {
        const ends = await this.admin.fetchTopicOffsets(this.name);
        const [committed] = await this.admin.fetchOffsets({ groupId, topics: [this.name] });
        return ends.every(
          (end) => end.offset === '0' || committed.partitions.find((p) => p.partition === end.partition)?.offset === end.offset,
        );
      },
      `consumer group ${groupId} did not handle every message in ${this.name}`,
      timeoutMs,
      200,
    );
  }

  async delete(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
    await this.admin.deleteTopics({ topics: [this.name] }).catch(() => undefined);
    await this.admin.disconnect();
  }
}

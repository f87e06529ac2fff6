import type { Producer } from 'kafkajs';
import { CircuitBreaker, Timeout } from '@tenk/resilience';

/** One outbox row on its way to the broker. */
export interface OutboxMessage {
  eventId: string;
  topic: string;
  /** The Kafka message key (the order id: one order's events stay in one partition, in order). */
  key: string;
  eventType: string;
  payload: unknown;
}

/** Where the relay sends rows: Kafka in the shop, anything else in a test. */
export interface OutboxPublisher {
  /** Resolves once the broker has acknowledged every message (all in-sync replicas). */
  publish(messages: readonly OutboxMessage[]): Promise<void>;
}

export const OUTBOX_PUBLISHER = Symbol.for('tenk.OutboxPublisher');

/**
 * Publishes with a Kafka producer, which should be idempotent (KafkaClient's is): a batch the
 * producer retries after a lost acknowledgement is written once. A relay crash between the
 * broker's acknowledgement and marking the rows sent still sends them again; every message
 * carries its event id (header `event-id` and in the payload) so consumers drop the repeat.
 */
export class KafkaOutboxPublisher implements OutboxPublisher {
  readonly #producer: () => Promise<Producer>;

  constructor(producer: () => Promise<Producer>) {
    this.#producer = producer;
  }

  /**
   * Behind the `kafka` breaker (when made by Nest, as the OUTBOX_PUBLISHER provider): while the
   * broker is down, a relay round fails at once with CircuitOpenError, the rows stay in the
   * outbox, and the relay backs off instead of waiting out a timeout per batch.
   */
  @CircuitBreaker('kafka')
  @Timeout('kafka')
  async publish(messages: readonly OutboxMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const producer = await this.#producer();
    const byTopic = new Map<string, OutboxMessage[]>();
    for (const message of messages) byTopic.set(message.topic, [...(byTopic.get(message.topic) ?? []), message]);
    await producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, batch]) => ({
        topic,
        messages: batch.map((message) => ({
          key: message.key,
          value: JSON.stringify(message.payload),
          headers: { 'event-id': message.eventId, 'event-type': message.eventType, 'content-type': 'application/json' },
        })),
      })),
    });
  }
}

import type { OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { parseOrderPlacedV1, type OrderPlacedV1 } from '@tenk/contracts';
import type { KafkaConsumers } from './kafka-consumers';
import type { KafkaEventConsumer } from './kafka-event-consumer';

export interface OrderPlacedSubscriberOptions {
  /** Names the consumer group: `<TENK_KAFKA_GROUP_PREFIX>.<service>`. */
  service: string;
  /** See EventConsumerOptions.fromBeginning: rebuild state from history, or new events only. */
  fromBeginning: boolean;
}

/**
 * Base for a Nest provider that reads the orders topic in its own consumer group and acts on
 * OrderPlaced events: it joins once the whole app is up (handlers may need the database),
 * leaves on shutdown, validates each OrderPlaced against its contract (an invalid one is
 * logged, counted and skipped by KafkaEventConsumer) and passes it to `onOrderPlaced`. The
 * topic carries every order event; the other types go to `onOtherEvent`.
 */
export abstract class OrderPlacedSubscriber implements OnApplicationBootstrap, OnModuleDestroy {
  readonly #consumer: KafkaEventConsumer;

  protected constructor(consumers: KafkaConsumers, options: OrderPlacedSubscriberOptions) {
    this.#consumer = consumers.create({
      groupId: consumers.groupId(options.service),
      topic: consumers.ordersTopic,
      fromBeginning: options.fromBeginning,
      handle: (value) => this.#handle(value),
    });
  }

  /** Handles one OrderPlaced event; keep it short (a transaction, an enqueue). */
  protected abstract onOrderPlaced(event: OrderPlacedV1): Promise<void>;

  /** Another order event type went by (default: nothing to do). */
  protected onOtherEvent(): void {
    // Nothing by default.
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.#consumer.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.#consumer.stop();
  }

  /** For tests: resolves once this consumer has joined its group. */
  ready(): Promise<void> {
    return this.#consumer.ready();
  }

  async #handle(value: unknown): Promise<void> {
    if ((value as { type?: unknown } | null)?.type !== 'OrderPlaced') {
      this.onOtherEvent();
      return;
    }
    await this.onOrderPlaced(parseOrderPlacedV1(value));
  }
}

import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { MAIL_KEYS, ORDER_CONFIRMATION_MAIL_V1, parseOrderPlacedV1 } from '@tenk/contracts';
import { JobProducer, KafkaConsumers, type KafkaEventConsumer } from '@tenk/messaging';

/**
 * Reads OrderPlaced events from `orders.events` (group `<prefix>.mailer`) and hands each to
 * the Bull `mail` queue as an order-confirmation job, keyed by the event id. The consumer does
 * no slow work itself (SMTP can take seconds, or be down for minutes): it validates, enqueues
 * in milliseconds and moves on, so it never misses a heartbeat and never triggers a
 * rebalance. A new group starts at the end of the log: no confirmations for old orders.
 */
@Injectable()
export class OrderEventsConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  readonly #consumer: KafkaEventConsumer;

  constructor(
    consumers: KafkaConsumers,
    private readonly jobs: JobProducer,
  ) {
    this.#consumer = consumers.create({
      groupId: consumers.groupId('mailer'),
      topic: consumers.ordersTopic,
      fromBeginning: false,
      handle: (value) => this.#handle(value),
    });
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
    if ((value as { type?: unknown } | null)?.type !== 'OrderPlaced') return; // other order events send no mail
    const event = parseOrderPlacedV1(value);
    const key = MAIL_KEYS.orderConfirmation(event.eventId);
    // The same job id for a redelivered event: Bull keeps one job; the ledger catches the rest.
    await this.jobs.enqueue(ORDER_CONFIRMATION_MAIL_V1, { event }, { jobId: key });
  }
}

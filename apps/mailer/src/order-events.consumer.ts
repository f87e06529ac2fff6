import { Injectable } from '@nestjs/common';
import { MAIL_KEYS, ORDER_CONFIRMATION_MAIL_V1, type OrderPlacedV1 } from '@tenk/contracts';
import { JobProducer, KafkaConsumers, OrderPlacedSubscriber } from '@tenk/messaging';

/**
 * Reads OrderPlaced events from `orders.events` (group `<prefix>.mailer`) and hands each to
 * the Bull `mail` queue as an order-confirmation job, keyed by the event id. The consumer does
 * no slow work itself (SMTP can take seconds, or be down for minutes): it validates, enqueues
 * in milliseconds and moves on, so it never misses a heartbeat and never triggers a
 * rebalance. A new group starts at the end of the log: no confirmations for old orders.
 */
@Injectable()
export class OrderEventsConsumer extends OrderPlacedSubscriber {
  constructor(
    consumers: KafkaConsumers,
    private readonly jobs: JobProducer,
  ) {
    super(consumers, { service: 'mailer', fromBeginning: false });
  }

  protected async onOrderPlaced(event: OrderPlacedV1): Promise<void> {
    const key = MAIL_KEYS.orderConfirmation(event.eventId);
    // The same job id for a redelivered event: Bull keeps one job; the ledger catches the rest.
    await this.jobs.enqueue(ORDER_CONFIRMATION_MAIL_V1, { event }, { jobId: key });
  }
}

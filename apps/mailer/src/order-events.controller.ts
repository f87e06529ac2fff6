import type { INestApplication } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { TenkConfig } from '@tenk/config';
import { MAIL_KEYS, ORDER_CONFIRMATION_MAIL_V1, parseOrderPlacedV1, TOPICS, type OrderPlacedV1 } from '@tenk/contracts';
import { EventContractPipe, JobProducer, KafkaEventController, KafkaTransport, type KafkaEventServer } from '@tenk/messaging';

/**
 * Reads OrderPlaced events from `orders.events` (group `<prefix>.mailer`) and hands each to
 * the Bull `mail` queue as an order-confirmation job, keyed by the event id. The handler does
 * no slow work itself (SMTP can take seconds, or be down for minutes): it enqueues in
 * milliseconds and returns, so the member never misses a heartbeat and never triggers a
 * rebalance. KafkaEventController commits after it, retries it in place when the queue Redis
 * is down, and skips (and counts) a message that breaks the contract.
 */
@KafkaEventController()
export class OrderEventsController {
  constructor(private readonly jobs: JobProducer) {}

  @EventPattern(TOPICS.ordersEvents)
  async onOrderEvent(@Payload(new EventContractPipe('OrderPlaced', parseOrderPlacedV1)) event: OrderPlacedV1 | undefined): Promise<void> {
    if (!event) return; // another order event type: no mail for it
    const key = MAIL_KEYS.orderConfirmation(event.eventId);
    // The same job id for a redelivered event: Bull keeps one job; the ledger catches the rest.
    await this.jobs.enqueue(ORDER_CONFIRMATION_MAIL_V1, { event }, { jobId: key });
  }
}

/**
 * The mailer's Kafka server: group `<prefix>.mailer`, `orders.events` as TENK_ORDERS_TOPIC
 * names it. A new group starts at the end of the log (no confirmations for orders placed
 * before the mailer existed), and pins that start on the broker at its first join, so events
 * produced while the mailer is away are never skipped.
 */
export function orderEventsServer(app: INestApplication, config: TenkConfig): KafkaEventServer {
  return app
    .get(KafkaTransport)
    .server({ service: 'mailer', topics: { [TOPICS.ordersEvents]: config.messaging.kafka.ordersTopic }, fromBeginning: false });
}

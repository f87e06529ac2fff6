import type { INestApplication } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { PinoLogger } from 'nestjs-pino';
import type { Counter } from 'prom-client';
import type { TenkConfig } from '@tenk/config';
import { parseOrderPlacedV1, TOPICS, type OrderPlacedV1 } from '@tenk/contracts';
import { EventContractPipe, KafkaEventController, KafkaTransport, type KafkaEventServer } from '@tenk/messaging';
import { MetricsService } from '@tenk/observability';
import { SalesAggregates } from '@tenk/reporting';

/**
 * Feeds the sales aggregates from OrderPlaced events on `orders.events` (group
 * `<prefix>.reports`). Redelivered events are recognised by id and change nothing. The work
 * per event is one short transaction, so it runs right in the handler; KafkaEventController
 * commits after it, retries it in place while the database is down, and skips (and counts) a
 * message that breaks the contract.
 */
@KafkaEventController()
export class SalesEventsController {
  readonly #events: Counter<'outcome'>;

  constructor(
    private readonly aggregates: SalesAggregates,
    private readonly logger: PinoLogger,
    metrics: MetricsService,
  ) {
    this.logger.setContext('sales-events');
    this.#events = metrics.counter(
      'tenk_sales_events_total',
      'OrderPlaced events seen by the reports service: applied, duplicate (already counted) or ignored (another event type)',
      ['outcome'],
    );
  }

  @EventPattern(TOPICS.ordersEvents)
  async onOrderEvent(@Payload(new EventContractPipe('OrderPlaced', parseOrderPlacedV1)) event: OrderPlacedV1 | undefined): Promise<void> {
    if (!event) {
      this.#events.inc({ outcome: 'ignored' });
      return;
    }
    const outcome = await this.aggregates.apply(event);
    this.#events.inc({ outcome });
    if (outcome === 'duplicate')
      this.logger.info({ eventId: event.eventId, orderId: event.orderId }, 'OrderPlaced already counted: redelivery ignored');
  }
}

/**
 * The reports service's Kafka server: group `<prefix>.reports`, `orders.events` as
 * TENK_ORDERS_TOPIC names it. A new group starts from the beginning of the log, so the
 * aggregates can be rebuilt from history.
 */
export function salesEventsServer(app: INestApplication, config: TenkConfig): KafkaEventServer {
  return app
    .get(KafkaTransport)
    .server({ service: 'reports', topics: { [TOPICS.ordersEvents]: config.messaging.kafka.ordersTopic }, fromBeginning: true });
}

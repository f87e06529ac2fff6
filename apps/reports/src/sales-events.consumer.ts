import { Injectable } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import type { Counter } from 'prom-client';
import type { OrderPlacedV1 } from '@tenk/contracts';
import { KafkaConsumers, OrderPlacedSubscriber } from '@tenk/messaging';
import { MetricsService } from '@tenk/observability';
import { SalesAggregates } from '@tenk/reporting';

/**
 * Feeds the sales aggregates from OrderPlaced events on `orders.events` (group
 * `<prefix>.reports`). A new group starts from the beginning of the log, so the aggregates can
 * be rebuilt from history; redelivered events are recognised by id and change nothing. The
 * work per event is one short transaction, so it runs right in the consumer.
 */
@Injectable()
export class SalesEventsConsumer extends OrderPlacedSubscriber {
  readonly #events: Counter<'outcome'>;

  constructor(
    consumers: KafkaConsumers,
    private readonly aggregates: SalesAggregates,
    private readonly logger: PinoLogger,
    metrics: MetricsService,
  ) {
    super(consumers, { service: 'reports', fromBeginning: true });
    this.logger.setContext('sales-events');
    this.#events = metrics.counter('tenk_sales_events_total', 'OrderPlaced events seen by the reports service: applied, duplicate (already counted) or ignored (another event type)', ['outcome']);
  }

  protected override onOtherEvent(): void {
    this.#events.inc({ outcome: 'ignored' });
  }

  protected async onOrderPlaced(event: OrderPlacedV1): Promise<void> {
    const outcome = await this.aggregates.apply(event);
    this.#events.inc({ outcome });
    if (outcome === 'duplicate') this.logger.info({ eventId: event.eventId, orderId: event.orderId }, 'OrderPlaced already counted: redelivery ignored');
  }
}

import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import type { Counter } from 'prom-client';
import { parseOrderPlacedV1 } from '@tenk/contracts';
import { KafkaConsumers, type KafkaEventConsumer } from '@tenk/messaging';
import { MetricsService } from '@tenk/observability';
import { SalesAggregates } from '@tenk/reporting';

/**
 * Feeds the sales aggregates from OrderPlaced events on `orders.events` (group
 * `<prefix>.reports`). A new group starts from the beginning of the log, so the aggregates can
 * be rebuilt from history; redelivered events are recognised by id and change nothing. The
 * work per event is one short transaction, so it runs right in the consumer.
 */
@Injectable()
export class SalesEventsConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  readonly #consumer: KafkaEventConsumer;
  readonly #events: Counter<'outcome'>;

  constructor(
    consumers: KafkaConsumers,
    private readonly aggregates: SalesAggregates,
    private readonly logger: PinoLogger,
    metrics: MetricsService,
  ) {
    this.logger.setContext('sales-events');
    this.#events = metrics.counter('tenk_sales_events_total', 'OrderPlaced events seen by the reports service: applied, duplicate (already counted) or ignored (another event type)', ['outcome']);
    this.#consumer = consumers.create({
      groupId: consumers.groupId('reports'),
      topic: consumers.ordersTopic,
      fromBeginning: true,
      handle: (value) => this.#handle(value),
    });
  }

  /** Joins once the whole app is up (the consumer's first batch needs the database). */
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
    // The topic carries every order event; only OrderPlaced moves sales.
    if ((value as { type?: unknown } | null)?.type !== 'OrderPlaced') {
      this.#events.inc({ outcome: 'ignored' });
      return;
    }
    const event = parseOrderPlacedV1(value);
    const outcome = await this.aggregates.apply(event);
    this.#events.inc({ outcome });
    if (outcome === 'duplicate') this.logger.info({ eventId: event.eventId, orderId: event.orderId }, 'OrderPlaced already counted: redelivery ignored');
  }
}

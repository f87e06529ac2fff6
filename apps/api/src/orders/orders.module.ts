import { Module } from '@nestjs/common';
import { TENK_CONFIG, type TenkConfig } from '@tenk/config';
import { KafkaTransport } from '@tenk/messaging';
import { PaymentsModule } from '../payments';
import { IdempotencyKeys } from './idempotency-keys';
import { OrderQuoter } from './order-quote';
import { OrdersController } from './orders.controller';
import { OrdersQueryService } from './orders-query.service';
import { OrdersRepository } from './orders.repository';
import { KafkaOutboxPublisher, OUTBOX_PUBLISHER } from './outbox/outbox-publisher';
import { OutboxRelayService } from './outbox/outbox-relay.service';
import { PlaceOrderService } from './place-order.service';
import { ReservationSweeper } from './reservation-sweeper';
import { StockReservations } from './stock-reservations';

/**
 * Orders: placed exactly once per Idempotency-Key on the customer's shard, with stock held in
 * the catalog and payment authorized; their OrderPlaced events relayed from each shard's
 * outbox to Kafka; read by id, by customer, or across all shards.
 */
@Module({
  imports: [PaymentsModule],
  controllers: [OrdersController],
  providers: [
    PlaceOrderService,
    OrdersQueryService,
    OrdersRepository,
    IdempotencyKeys,
    OrderQuoter,
    StockReservations,
    ReservationSweeper,
    OutboxRelayService,
    {
      provide: OUTBOX_PUBLISHER,
      inject: [KafkaTransport, TENK_CONFIG],
      // A broker's share of a round waits at most half the kafka policy's timeout (5 s by default).
      useFactory: (kafka: KafkaTransport, config: TenkConfig) =>
        new KafkaOutboxPublisher(() => kafka.producerClient(), { ackWaitMs: Math.floor(config.resilience.kafka.timeoutMs / 2) }),
    },
  ],
  exports: [PlaceOrderService, OrdersQueryService, ReservationSweeper, OutboxRelayService],
})
export class OrdersModule {}

import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, type TenkConfig } from '@tenk/config';
import { QUEUES } from '@tenk/contracts';
import { MessagingModule } from '@tenk/messaging';
import { ObservabilityModule } from '@tenk/observability';

/** Sales aggregates from Kafka `orders.events`; the Bull `report` queue writes CSV files. */
@Module({})
export class AppModule {
  static forRoot(config: TenkConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule.forRoot({ service: 'reports' }),
        MessagingModule.forRoot({ queues: [QUEUES.report], kafka: true, queueRedisCritical: true }),
      ],
    };
  }
}

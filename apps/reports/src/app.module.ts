import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, type TenkConfig } from '@tenk/config';
import { QUEUES } from '@tenk/contracts';
import { DatabaseModule } from '@tenk/database';
import { MessagingModule } from '@tenk/messaging';
import { ObservabilityModule } from '@tenk/observability';
import { ReportingModule, ReportRequest } from '@tenk/reporting';
import { StorageModule } from '@tenk/storage';
import { ReportProcessor } from './report.processor';
import { SalesEventsController } from './sales-events.controller';

/** Sales aggregates from Kafka `orders.events`; the Bull `report` queue writes CSV files. */
@Module({})
export class AppModule {
  static forRoot(config: TenkConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule.forRoot({ service: 'reports' }),
        DatabaseModule.forRoot({ processName: 'reports', catalogEntities: [ReportRequest] }),
        StorageModule.forRoot({ critical: true }),
        MessagingModule.forRoot({ queues: [QUEUES.report], kafka: true, queueRedisCritical: true }),
        ReportingModule,
      ],
      controllers: [SalesEventsController],
      providers: [ReportProcessor],
    };
  }
}

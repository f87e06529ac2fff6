import { DynamicModule, Module } from '@nestjs/common';
import { CachingModule } from '@tenk/caching';
import { ConfigModule, type TenkConfig } from '@tenk/config';
import { QUEUES } from '@tenk/contracts';
import { DatabaseModule, ReadYourWrites } from '@tenk/database';
import { Video } from '@tenk/media';
import { MessagingModule } from '@tenk/messaging';
import { ObservabilityModule } from '@tenk/observability';
import { ReportRequest } from '@tenk/reporting';
import { ResilienceModule } from '@tenk/resilience';
import { StorageModule } from '@tenk/storage';
import { SwitchesModule } from '@tenk/switches';
import { AdminModule } from './admin/admin.module';
import { AssetsModule } from './assets/assets.module';
import { AuthModule } from './auth/auth.module';
import type { SessionUser } from './auth/session-user';
import { CatalogModule } from './catalog/catalog.module';
import { ErrorsModule } from './errors/errors.module';
import { LoadSheddingModule } from './load-shedding/load-shedding.module';
import { PaymentsModule } from './payments/payments.module';
import { OrdersModule } from './orders/orders.module';
import { QueueBoardModule } from './queue-board/queue-board.module';
import { ReportsModule } from './reports/reports.module';
import { VideosModule } from './videos/videos.module';
import { Product } from './catalog/product.entity';
import { User } from '@tenk/accounts';

/** Entities of the catalog database (primary + replica). */
export const CATALOG_ENTITIES = [Product, User, Video, ReportRequest];

@Module({})
export class AppModule {
  static forRoot(config: TenkConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        // Readiness details (which dependency failed, and why) for admins, wherever they call from.
        ObservabilityModule.forRoot({
          service: 'api',
          showReadinessDetailsTo: (req) => (req as { user?: SessionUser }).user?.role === 'admin',
        }),
        DatabaseModule.forRoot({ processName: 'api', catalogEntities: CATALOG_ENTITIES, shardEntities: [] }),
        // A client that wrote recently (its read-your-writes token) also reads cached entries as
        // of its write, whichever instance took the write: tag generations from Redis for it.
        CachingModule.forRoot({ mustSeeOwnWrites: () => ReadYourWrites.current()?.minLsn !== undefined }),
        // The api only enqueues: without the queue Redis it still serves the catalog.
        MessagingModule.forRoot({ queues: [QUEUES.video, QUEUES.mail, QUEUES.report], kafka: true, queueRedisCritical: false }),
        ResilienceModule,
        LoadSheddingModule,
        SwitchesModule,
        ErrorsModule,
        AuthModule,
        AdminModule,
        CatalogModule,
        AssetsModule,
        PaymentsModule,
        OrdersModule,
        // Uploads and report files; without storage the api still serves everything else.
        StorageModule.forRoot({ critical: false }),
        VideosModule,
        ReportsModule,
        QueueBoardModule,
      ],
    };
  }
}

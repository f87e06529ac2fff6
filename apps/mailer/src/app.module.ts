import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, type TenkConfig } from '@tenk/config';
import { QUEUES } from '@tenk/contracts';
import { MessagingModule } from '@tenk/messaging';
import { ObservabilityModule } from '@tenk/observability';

/** Sends mail: the Bull `mail` queue (welcome mails) and OrderPlaced events from Kafka. */
@Module({})
export class AppModule {
  static forRoot(config: TenkConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule.forRoot({ service: 'mailer' }),
        MessagingModule.forRoot({ queues: [QUEUES.mail], kafka: true, queueRedisCritical: true }),
      ],
    };
  }
}

import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, type TenkConfig } from '@tenk/config';
import { QUEUES } from '@tenk/contracts';
import { DatabaseModule } from '@tenk/database';
import { MessagingModule } from '@tenk/messaging';
import { ObservabilityModule } from '@tenk/observability';
import { ResilienceModule } from '@tenk/resilience';
import { MailSender } from './mail-sender';
import { MailTransport } from './mail-transport';
import { MailProcessor } from './mail.processor';
import { OrderEventsController } from './order-events.controller';
import { SentMailLedger } from './sent-mail-ledger';

/**
 * Sends mail: the Bull `mail` queue (welcome mails) and OrderPlaced events from Kafka (an
 * `@EventPattern` controller served by the Kafka transport: see orderEventsServer).
 */
@Module({})
export class AppModule {
  static forRoot(config: TenkConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule.forRoot({ service: 'mailer' }),
        // The sent ledger lives in the catalog database (raw SQL: no entities).
        DatabaseModule.forRoot({ processName: 'mailer', catalogEntities: [] }),
        MessagingModule.forRoot({ queues: [QUEUES.mail], kafka: true, queueRedisCritical: true }),
        // The `smtp` breaker on MailTransport.send: a dead SMTP server fails jobs at once, and Bull retries them later.
        ResilienceModule,
      ],
      controllers: [OrderEventsController],
      providers: [MailTransport, SentMailLedger, MailSender, MailProcessor],
    };
  }
}

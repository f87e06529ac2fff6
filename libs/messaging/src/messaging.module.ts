import { DynamicModule, Global, Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bull';
import { TENK_CONFIG, type TenkConfig } from '@tenk/config';
import { KafkaClient } from './kafka-client';
import { MessagingHealth } from './messaging-health';
import { MESSAGING_OPTIONS_TYPE, MessagingConfigurableModule } from './messaging.module-definition';

/** Bull queues on the queue Redis, and the Kafka client, with their readiness checks. */
@Global()
@Module({})
export class MessagingModule extends MessagingConfigurableModule {
  static override forRoot(options: typeof MESSAGING_OPTIONS_TYPE): DynamicModule {
    const base = super.forRoot(options);
    const queues = BullModule.registerQueue(...options.queues.map((name) => ({ name })));
    return {
      ...base,
      global: true,
      imports: [
        BullModule.forRootAsync({
          inject: [TENK_CONFIG],
          useFactory: (config: TenkConfig) => ({
            redis: { host: config.redis.queue.host, port: config.redis.queue.port, maxRetriesPerRequest: null, enableReadyCheck: false },
            prefix: 'tenk',
          }),
        }),
        queues,
      ],
      providers: [...(base.providers ?? []), KafkaClient, MessagingHealth],
      exports: [KafkaClient, queues],
    };
  }
}

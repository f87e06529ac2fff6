import { DynamicModule, Global, Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bull';
import { redisConnection, TENK_CONFIG, type TenkConfig } from '@tenk/config';
import { JobProducer } from './job-producer';
import { JobRunner } from './job-runner';
import { KafkaClient } from './kafka-client';
import { KafkaEventMetrics } from './kafka-event-metrics';
import { KafkaTransport } from './kafka-transport';
import { MessagingHealth } from './messaging-health';
import { MESSAGING_OPTIONS_TYPE, MessagingConfigurableModule } from './messaging.module-definition';
import { QueueMetrics } from './queue-metrics';
import { DEAD_LETTER_QUEUE, queueOptions, queuePrefix, type RegisteredQueueName } from './queue-registry';
import { Queues } from './queues';

/**
 * Bull queues on the queue Redis (each with its default job options from the queue registry,
 * plus the shared dead-letter queue), the job producer, JobRunner (what `@Processor` classes
 * call), the Kafka client and the Kafka transport's factory and metrics, with their readiness
 * checks.
 */
@Global()
@Module({})
export class MessagingModule extends MessagingConfigurableModule {
  static override forRoot(options: typeof MESSAGING_OPTIONS_TYPE): DynamicModule {
    const base = super.forRoot(options);
    const names: RegisteredQueueName[] = [...options.queues, DEAD_LETTER_QUEUE];
    const queues = BullModule.registerQueueAsync(
      ...names.map((name) => ({ name, inject: [TENK_CONFIG], useFactory: (config: TenkConfig) => queueOptions(name, config) })),
    );
    return {
      ...base,
      global: true,
      imports: [
        BullModule.forRootAsync({
          inject: [TENK_CONFIG],
          useFactory: (config: TenkConfig) => ({
            redis: { ...redisConnection(config.redis.queue), maxRetriesPerRequest: null, enableReadyCheck: false },
            prefix: queuePrefix(config),
          }),
        }),
        queues,
      ],
      providers: [
        ...(base.providers ?? []),
        KafkaClient,
        KafkaEventMetrics,
        KafkaTransport,
        MessagingHealth,
        Queues,
        JobProducer,
        JobRunner,
        QueueMetrics,
      ],
      exports: [KafkaClient, KafkaEventMetrics, KafkaTransport, Queues, JobProducer, JobRunner, queues],
    };
  }
}

import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { QueueName } from '@tenk/contracts';

export interface MessagingOptions {
  /** Bull queues this process produces to or consumes from. */
  queues: QueueName[];
  /** Whether this process talks to Kafka (and so checks it for readiness). */
  kafka: boolean;
  /**
   * Whether this process cannot work without the queue Redis (a worker), or only loses a
   * feature (the api still serves reads): decides 503 vs degraded in /health/ready.
   */
  queueRedisCritical: boolean;
}

export const {
  ConfigurableModuleClass: MessagingConfigurableModule,
  MODULE_OPTIONS_TOKEN: MESSAGING_OPTIONS,
  OPTIONS_TYPE: MESSAGING_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<MessagingOptions>().setClassMethodName('forRoot').build();

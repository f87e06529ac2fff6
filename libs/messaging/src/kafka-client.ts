import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { Kafka, type Admin } from 'kafkajs';
import { InjectConfig, type TenkConfig } from '@tenk/config';
import { PinoLogger } from 'nestjs-pino';
import { kafkaClientConfig } from './kafka-client-config';

/**
 * The process's kafkajs connection for Kafka's readiness check. Consumers are Nest Kafka
 * transport servers and the producer a ClientKafka (both from KafkaTransport).
 */
@Injectable()
export class KafkaClient implements OnModuleDestroy {
  readonly kafka: Kafka;
  #admin: Admin | undefined;

  constructor(
    @InjectConfig() config: TenkConfig,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext('kafka');
    this.kafka = new Kafka(kafkaClientConfig(config, this.logger));
  }

  async onModuleDestroy(): Promise<void> {
    await this.#admin?.disconnect();
  }

  /** One admin client for the process (readiness checks), connected by its first caller. */
  admin(): Admin {
    this.#admin ??= this.kafka.admin();
    return this.#admin;
  }
}

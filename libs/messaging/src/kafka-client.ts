import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { Kafka, logLevel, type Consumer, type ConsumerConfig, type Producer } from 'kafkajs';
import { InjectConfig, type TenkConfig } from '@tenk/config';
import { PinoLogger } from 'nestjs-pino';

/**
 * The process's Kafka connection (kafkajs). Producers and consumers made here are
 * disconnected when the module closes.
 */
@Injectable()
export class KafkaClient implements OnModuleDestroy {
  readonly kafka: Kafka;
  readonly #consumers: Consumer[] = [];
  #producer: Producer | undefined;
  #producerConnecting: Promise<Producer> | undefined;

  constructor(@InjectConfig() config: TenkConfig, private readonly logger: PinoLogger) {
    this.logger.setContext('kafka');
    this.kafka = new Kafka({
      clientId: config.kafka.clientId,
      brokers: config.kafka.brokers,
      connectionTimeout: 3_000,
      requestTimeout: 10_000,
      retry: { retries: 5, initialRetryTime: 200 },
      logLevel: logLevel.WARN,
      logCreator: () => ({ namespace, level, log }) => {
        const { message, ...extra } = log;
        const line = { namespace, ...extra };
        if (level <= logLevel.ERROR) this.logger.error(line, message);
        else this.logger.warn(line, message);
      },
    });
  }

  /**
   * The shared idempotent producer (one per process), connected on first use. Idempotence
   * makes the broker drop a batch the producer retried after a lost acknowledgement.
   */
  producer(): Promise<Producer> {
    if (this.#producer) return Promise.resolve(this.#producer);
    this.#producerConnecting ??= (async () => {
      const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      try {
        await producer.connect();
      } catch (error) {
        this.#producerConnecting = undefined;
        throw error;
      }
      this.#producer = producer;
      return producer;
    })();
    return this.#producerConnecting;
  }

  consumer(config: ConsumerConfig): Consumer {
    const consumer = this.kafka.consumer(config);
    this.#consumers.push(consumer);
    return consumer;
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.allSettled([...this.#consumers.map((consumer) => consumer.disconnect()), this.#producer?.disconnect()]);
  }
}

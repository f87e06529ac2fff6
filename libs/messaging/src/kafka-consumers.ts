import { Injectable } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { InjectConfig, type TenkConfig } from '@tenk/config';
import { HealthRegistry, MetricsService } from '@tenk/observability';
import { KafkaClient } from './kafka-client';
import { KafkaEventConsumer, type EventConsumerMetrics, type EventConsumerOptions } from './kafka-event-consumer';

/**
 * Makes KafkaEventConsumers with the configured group timing (TENK_KAFKA_SESSION_TIMEOUT,
 * TENK_KAFKA_HEARTBEAT_INTERVAL, TENK_KAFKA_REBALANCE_TIMEOUT), shared metrics, and a
 * readiness entry per group (degraded, not down, while the group is not joined).
 */
@Injectable()
export class KafkaConsumers {
  readonly #metrics: EventConsumerMetrics;

  constructor(
    private readonly kafka: KafkaClient,
    @InjectConfig() private readonly config: TenkConfig,
    private readonly logger: PinoLogger,
    private readonly health: HealthRegistry,
    metrics: MetricsService,
  ) {
    this.logger.setContext('kafka-consumer');
    this.#metrics = {
      messages: metrics.counter('tenk_kafka_messages_total', 'Kafka messages handled, by group, topic and outcome (processed, invalid, skipped, retried)', ['group', 'topic', 'outcome']),
      handleSeconds: metrics.histogram('tenk_kafka_handle_duration_seconds', 'Time a consumer spent handling one message', ['group'], [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5]),
      lag: metrics.gauge('tenk_kafka_consumer_lag', 'Messages behind the end of the partition, after the last batch', ['group', 'topic', 'partition']),
      rebalances: metrics.counter('tenk_kafka_group_joins_total', 'Times this member joined its group (each one follows a rebalance)', ['group']),
    };
  }

  /** A consumer for `options.groupId` (use groupId() to name it); call start() on it. */
  create(options: EventConsumerOptions): KafkaEventConsumer {
    const settings = this.config.messaging.kafka;
    const consumer = this.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: settings.sessionTimeoutMs,
      heartbeatInterval: settings.heartbeatIntervalMs,
      rebalanceTimeout: settings.rebalanceTimeoutMs,
      allowAutoTopicCreation: false,
    });
    const eventConsumer = new KafkaEventConsumer(consumer, this.kafka.kafka.admin(), options, this.logger, this.#metrics);
    this.health.register({
      name: `kafka-consumer:${options.groupId}`,
      critical: false,
      check: async () => {
        const status = eventConsumer.status();
        if (!status.joined) return { degraded: true, details: { message: `not a member of group ${options.groupId} yet (joining or rebalancing)` } };
        return { details: { partitions: status.partitions } };
      },
    });
    return eventConsumer;
  }

  /** `<TENK_KAFKA_GROUP_PREFIX>.<service>`, e.g. `tenk.mailer`. */
  groupId(service: string): string {
    return `${this.config.messaging.kafka.groupPrefix}.${service}`;
  }

  /** The topic OrderPlaced events are read from (TENK_ORDERS_TOPIC). */
  get ordersTopic(): string {
    return this.config.messaging.kafka.ordersTopic;
  }
}

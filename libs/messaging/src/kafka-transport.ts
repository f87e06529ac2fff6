import { Injectable } from '@nestjs/common';
import { ClientKafka } from '@nestjs/microservices';
import type { KafkaConfig } from 'kafkajs';
import { PinoLogger } from 'nestjs-pino';
import { InjectConfig, type TenkConfig } from '@tenk/config';
import { HealthRegistry } from '@tenk/observability';
import { kafkaClientConfig } from './kafka-client-config';
import { KafkaEventMetrics } from './kafka-event-metrics';
import { KafkaEventServer } from './kafka-event.server';

export interface KafkaServerRequest {
  /** Names the consumer group: `<TENK_KAFKA_GROUP_PREFIX>.<service>`. */
  service: string;
  /** The topic each `@EventPattern` name stands for (from the configuration). */
  topics: Record<string, string>;
  /** See KafkaEventServerOptions.fromBeginning. */
  fromBeginning: boolean;
}

/**
 * Nest's Kafka transport, configured: the server a consuming service connects
 * (`app.connectMicroservice({ strategy })`, done by startService's `microservices`) with the
 * group timing (TENK_KAFKA_SESSION_TIMEOUT, TENK_KAFKA_HEARTBEAT_INTERVAL,
 * TENK_KAFKA_REBALANCE_TIMEOUT), group prefix, shared metrics and readiness; and the
 * producing ClientKafka (the outbox relay's).
 */
@Injectable()
export class KafkaTransport {
  constructor(
    @InjectConfig() private readonly config: TenkConfig,
    private readonly metrics: KafkaEventMetrics,
    private readonly health: HealthRegistry,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext('kafka-consumer');
  }

  server(request: KafkaServerRequest): KafkaEventServer {
    const settings = this.config.messaging.kafka;
    return new KafkaEventServer({
      groupId: this.groupId(request.service),
      topics: request.topics,
      fromBeginning: request.fromBeginning,
      client: kafkaClientConfig(this.config, this.logger),
      sessionTimeoutMs: settings.sessionTimeoutMs,
      heartbeatIntervalMs: settings.heartbeatIntervalMs,
      rebalanceTimeoutMs: settings.rebalanceTimeoutMs,
      metrics: this.metrics,
      health: this.health,
      logger: this.logger,
    });
  }

  /** A producing ClientKafka on the configured brokers, with eventProducerClient's settings. */
  producerClient(): ClientKafka {
    return eventProducerClient(kafkaClientConfig(this.config, this.logger));
  }

  /** `<TENK_KAFKA_GROUP_PREFIX>.<service>`, e.g. `tenk.mailer`. */
  groupId(service: string): string {
    return `${this.config.messaging.kafka.groupPrefix}.${service}`;
  }
}

/**
 * A ClientKafka that only produces (`producerOnlyMode`: no reply consumer, no group), its
 * client id as given (no `-client` postfix), one request in flight (a partition's messages stay
 * in order across retries), no topic created by accident. Not idempotent: kafkajs 2.2's
 * idempotent producer takes back a batch's sequence numbers when its request fails, a timeout
 * included (producer/sendMessages.js), though the broker may have written that batch; another
 * send to that partition (the relay runs one loop per shard on one producer, and sends again
 * after its own timeout) then reuses the numbers, and a batch of as many messages is
 * acknowledged by the broker as a repeat without being written (issue 17: a Kafka node cut off
 * for longer than the request timeout). Without idempotence a retried batch may be written
 * twice: every event carries its event id and the consumers drop what they have seen, as they
 * must anyway for a relay that dies between the broker's acknowledgement and marking its rows
 * sent.
 */
export function eventProducerClient(client: KafkaConfig): ClientKafka {
  return new ClientKafka({
    client,
    postfixId: '',
    producerOnlyMode: true,
    producer: { idempotent: false, maxInFlightRequests: 1, allowAutoTopicCreation: false },
  });
}

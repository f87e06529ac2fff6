import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import { HealthRegistry } from '@tenk/observability';
import { KafkaClient } from './kafka-client';
import { MESSAGING_OPTIONS, type MessagingOptions } from './messaging.module-definition';

/** Registers the queue Redis and (when used) Kafka in /health/ready. */
@Injectable()
export class MessagingHealth implements OnModuleInit {
  constructor(
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingOptions,
    private readonly health: HealthRegistry,
    private readonly moduleRef: ModuleRef,
    private readonly kafka: KafkaClient,
  ) {}

  onModuleInit(): void {
    const [first] = this.options.queues;
    if (first) {
      const queue = this.moduleRef.get<Queue>(getQueueToken(first), { strict: false });
      this.health.register({
        name: 'redis-queue',
        critical: this.options.queueRedisCritical,
        check: async () => {
          await queue.client.ping();
        },
      });
    }
    if (this.options.kafka) {
      const admin = this.kafka.admin();
      this.health.register({
        name: 'kafka',
        critical: false,
        check: async () => {
          await admin.connect();
          const cluster = await admin.describeCluster();
          return { details: { brokers: cluster.brokers.length } };
        },
      });
    }
  }
}

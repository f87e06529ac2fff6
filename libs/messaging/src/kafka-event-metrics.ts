import { Injectable } from '@nestjs/common';
import type { Counter, Gauge, Histogram } from 'prom-client';
import { MetricsService } from '@tenk/observability';

/** What a Kafka event message came to: its handler succeeded, it broke its contract, ... */
export type KafkaMessageOutcome = 'processed' | 'invalid' | 'skipped' | 'retried';

/**
 * The Kafka consumers' metrics, shared by KafkaEventServer (joins, lag), the interceptor
 * (outcomes, handle time) and the exception filter (invalid messages).
 */
@Injectable()
export class KafkaEventMetrics {
  readonly messages: Counter<'group' | 'topic' | 'outcome'>;
  readonly handleSeconds: Histogram<'group'>;
  readonly lag: Gauge<'group' | 'topic' | 'partition'>;
  readonly joins: Counter<'group'>;

  constructor(metrics: MetricsService) {
    this.messages = metrics.counter(
      'tenk_kafka_messages_total',
      'Kafka messages handled, by group, topic and outcome (processed, invalid, skipped, retried)',
      ['group', 'topic', 'outcome'],
    );
    this.handleSeconds = metrics.histogram(
      'tenk_kafka_handle_duration_seconds',
      'Time a consumer spent handling one message',
      ['group'],
      [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    );
    this.lag = metrics.gauge('tenk_kafka_consumer_lag', 'Messages behind the end of the partition, after the last batch', [
      'group',
      'topic',
      'partition',
    ]);
    this.joins = metrics.counter('tenk_kafka_group_joins_total', 'Times this member joined its group (each one follows a rebalance)', [
      'group',
    ]);
  }

  count(group: string, topic: string, outcome: KafkaMessageOutcome): void {
    this.messages.inc({ group, topic, outcome });
  }
}

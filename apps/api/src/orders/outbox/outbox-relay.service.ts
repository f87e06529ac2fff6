import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { InjectConfig, type TenkConfig } from '@tenk/config';
import { ShardDatabases } from '@tenk/database';
import { MetricsService } from '@tenk/observability';
import { OUTBOX_PUBLISHER, type OutboxPublisher } from './outbox-publisher';
import { OutboxRelay, type OutboxRelayEvent } from './outbox-relay';

/**
 * Runs the outbox relay for every shard database in this api instance (TENK_OUTBOX_RELAY=off
 * turns it off), with its metrics: backlog and relay lag per shard, published and failed counts.
 */
@Injectable()
export class OutboxRelayService implements OnApplicationBootstrap, OnModuleDestroy {
  readonly relay: OutboxRelay;
  readonly #enabled: boolean;

  constructor(
    shards: ShardDatabases,
    @Inject(OUTBOX_PUBLISHER) publisher: OutboxPublisher,
    @InjectConfig() config: TenkConfig,
    metrics: MetricsService,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext('outbox-relay');
    const settings = config.orders.outbox;
    this.#enabled = settings.relay;
    const backlog = metrics.gauge('tenk_outbox_backlog', 'Outbox rows not yet published to Kafka, per shard', ['shard']);
    const lag = metrics.gauge(
      'tenk_outbox_relay_lag_seconds',
      'Age of the oldest unpublished outbox row, per shard (0 = nothing waiting)',
      ['shard'],
    );
    const published = metrics.counter('tenk_outbox_published_total', 'Outbox rows published to Kafka, per shard', ['shard']);
    const failures = metrics.counter('tenk_outbox_publish_failures_total', 'Failed attempts to publish a batch of outbox rows, per shard', [
      'shard',
    ]);
    const delay = metrics.histogram(
      'tenk_outbox_publish_delay_seconds',
      'Time from an order commit to its event being acknowledged by Kafka (oldest row of each batch)',
      [],
      [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300],
    );
    const onEvent = (event: OutboxRelayEvent) => {
      switch (event.type) {
        case 'published':
          published.inc({ shard: event.shard }, event.count);
          delay.observe(event.oldestAgeMs / 1000);
          break;
        case 'failed':
          failures.inc({ shard: event.shard });
          this.logger.warn(
            { shard: event.shard, rows: event.count, retryInMs: event.retryInMs, err: event.error },
            'outbox relay could not publish; the rows stay queued',
          );
          break;
        case 'backlog':
          backlog.set({ shard: event.shard }, event.unpublished);
          lag.set({ shard: event.shard }, event.oldestAgeMs / 1000);
          break;
        case 'pruned':
          if (event.count > 0) this.logger.info({ shard: event.shard, rows: event.count }, 'pruned published outbox rows');
          break;
      }
    };
    this.relay = new OutboxRelay({
      shards: shards.names().map((name) => ({ name, source: () => shards.byName(name).get() })),
      publisher,
      batchSize: settings.batchSize,
      pollIntervalMs: settings.pollIntervalMs,
      idlePollMaxMs: settings.idlePollMaxMs,
      maxBackoffMs: settings.maxBackoffMs,
      retentionMs: settings.retentionMs,
      onEvent,
    });
  }

  /** An order was just committed on `shard`: publish it now rather than at the next poll. */
  nudge(shard: string): void {
    if (this.#enabled) this.relay.nudge(shard);
  }

  onApplicationBootstrap(): void {
    if (this.#enabled) this.relay.start();
    else this.logger.info('outbox relay is off in this process (TENK_OUTBOX_RELAY=off)');
  }

  async onModuleDestroy(): Promise<void> {
    await this.relay.stop();
  }
}

import type { DataSource, EntityManager } from 'typeorm';
import {
  extractTraceContext,
  markFailed,
  SpanKind,
  startSpan,
  traceparentOf,
  tracingEnabled,
  untraced,
  type Span,
} from '@tenk/observability';
import type { OutboxMessage, OutboxPublisher, PublishOutcome } from './outbox-publisher';

export interface OutboxShard {
  name: string;
  source(): Promise<DataSource>;
}

export interface OutboxRelayOptions {
  shards: readonly OutboxShard[];
  publisher: OutboxPublisher;
  batchSize: number;
  pollIntervalMs: number;
  /** While the shard's outbox is empty the poll doubles up to this (an idle instance stays idle); a nudge or a row resets it. */
  idlePollMaxMs?: number;
  maxBackoffMs: number;
  retentionMs: number;
  /** What happened, for logs and metrics. */
  onEvent?(event: OutboxRelayEvent): void;
}

export type OutboxRelayEvent =
  | { type: 'published'; shard: string; count: number; oldestAgeMs: number }
  | { type: 'failed'; shard: string; count: number; error: Error; retryInMs: number }
  | { type: 'backlog'; shard: string; unpublished: number; oldestAgeMs: number }
  | { type: 'pruned'; shard: string; count: number };

interface Row {
  id: string;
  event_id: string;
  topic: string;
  message_key: string;
  event_type: string;
  payload: unknown;
  age_ms: number;
  attempts: number;
  trace_parent: string | null;
}

/** Backlog gauges are refreshed at most this often per shard. */
const BACKLOG_EVERY_MS = 1_000;
/** Published rows are pruned at most this often per shard. */
const PRUNE_EVERY_MS = 10 * 60_000;

/**
 * Publishes each shard's outbox to Kafka. Per shard, one loop: lock the oldest unpublished rows
 * (FOR UPDATE SKIP LOCKED, so relays in other api instances take other rows, never the same
 * ones), publish them, mark them published, commit. If the broker is unreachable the rows stay
 * unpublished (attempts and the last error recorded) and the loop backs off; orders keep being
 * accepted meanwhile, since the outbox is just a table. When the broker is back, the backlog
 * drains in id order.
 */
export class OutboxRelay {
  readonly #loops: Map<string, ShardLoop>;

  constructor(options: OutboxRelayOptions) {
    this.#loops = new Map(options.shards.map((shard) => [shard.name, new ShardLoop(shard, options)]));
  }

  start(): void {
    for (const loop of this.#loops.values()) loop.start();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#loops.values()].map((loop) => loop.stop()));
  }

  /** Something was just written on `shard`: look now, not at the next poll. */
  nudge(shard: string): void {
    this.#loops.get(shard)?.nudge();
  }

  /** Publishes one batch from `shard` now; returns how many rows went out (tests, tools). */
  drainOnce(shard: string): Promise<number> {
    const loop = this.#loops.get(shard);
    if (!loop) throw new RangeError(`the relay has no shard ${shard}`);
    return loop.tick();
  }
}

class ShardLoop {
  readonly #shard: OutboxShard;
  readonly #options: OutboxRelayOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | undefined;
  #stopped = true;
  #backoffMs = 0;
  /** The current idle poll interval (0: not idle). */
  #idleMs = 0;
  /** A nudge came while a batch ran: look again as soon as it ends. */
  #nudged = false;
  #backlogAt = 0;
  #prunedAt = Date.now();

  constructor(shard: OutboxShard, options: OutboxRelayOptions) {
    this.#shard = shard;
    this.#options = options;
  }

  start(): void {
    this.#stopped = false;
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running?.catch(() => undefined);
  }

  nudge(): void {
    this.#idleMs = 0;
    if (this.#stopped || this.#backoffMs > 0) return;
    if (this.#running) {
      this.#nudged = true;
      return;
    }
    this.#schedule(0);
  }

  /** One batch; concurrent calls share it. */
  tick(): Promise<number> {
    // A round is no trace of its own (nor part of the request that nudged it): only the rows'
    // publish spans are recorded, each under the request that wrote its row.
    this.#running ??= untraced(() => this.#publishBatch()).finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.tick()
        .then(
          (count) => {
            this.#backoffMs = 0;
            const nudged = this.#nudged;
            this.#nudged = false;
            if (count >= this.#options.batchSize || nudged) return 0;
            if (count > 0) {
              this.#idleMs = 0;
              return this.#options.pollIntervalMs;
            }
            const poll = this.#options.pollIntervalMs;
            this.#idleMs = Math.min(Math.max(poll, this.#options.idlePollMaxMs ?? poll), Math.max(poll, this.#idleMs * 2));
            return this.#idleMs;
          },
          (error: unknown) => {
            // Broker or shard unreachable: wait longer each time, up to the limit.
            this.#backoffMs = Math.min(this.#options.maxBackoffMs, Math.max(this.#options.pollIntervalMs, this.#backoffMs * 2 || 500));
            const failure = error instanceof Error ? error : new Error(String(error));
            this.#options.onEvent?.({
              type: 'failed',
              shard: this.#shard.name,
              count: error instanceof PublishFailure ? error.count : 0,
              error: failure,
              retryInMs: this.#backoffMs,
            });
            return this.#backoffMs;
          },
        )
        .then((next) => this.#schedule(next));
    }, delayMs);
    this.#timer.unref();
  }

  async #publishBatch(): Promise<number> {
    const source = await this.#shard.source();
    if (this.#idleMs > 0) {
      // The last round found nothing and no order was placed here since (a nudge clears
      // #idleMs): one read, the backlog gauge's own, says whether there is anything to lock,
      // instead of a transaction of three round trips (and the backlog read after it).
      const backlog = await this.#readBacklog(source);
      if (backlog.unpublished === 0) {
        await this.#prune(source);
        return 0;
      }
    }
    let failure: PublishFailure | undefined;
    const count = await source.transaction(async (manager) => {
      const rows = (await manager.query(
        `SELECT id, event_id, topic, message_key, event_type, payload, attempts, trace_parent, (extract(epoch FROM now() - created_at) * 1000)::float8 AS age_ms
         FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [this.#options.batchSize],
      )) as Row[];
      if (rows.length === 0) return 0;
      const spans = tracingEnabled() ? rows.map((row) => publishSpan(row, this.#shard.name)) : undefined;
      let outcome: PublishOutcome;
      try {
        outcome = await this.#options.publisher.publish(rows.map((row, i) => toMessage(row, spans?.[i])));
      } catch (error) {
        failure = new PublishFailure(rows.length, error);
        await this.#missed(manager, rows, spans, error, failure.message);
        return rows.length;
      }
      // A round can be partly acknowledged (a broker cut off holds its partitions' rows): what
      // went out is marked sent, the rest waits for the next round.
      const sent: Row[] = [];
      const left: Row[] = [];
      const leftSpans: Array<Span | undefined> = [];
      rows.forEach((row, i) => {
        if (!outcome.unacknowledged.has(row.event_id)) {
          sent.push(row);
          spans?.[i]?.end();
        } else {
          left.push(row);
          leftSpans.push(spans?.[i]);
        }
      });
      if (left.length > 0) {
        const missed = new PublishFailure(left.length, outcome.error ?? new Error('not acknowledged'));
        await this.#missed(manager, left, leftSpans, missed.cause, missed.message);
        this.#options.onEvent?.({
          type: 'failed',
          shard: this.#shard.name,
          count: left.length,
          error: missed,
          retryInMs: this.#options.pollIntervalMs,
        });
      }
      if (sent.length > 0) {
        await manager.query(
          'UPDATE outbox SET published_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = ANY($1::bigint[])',
          [sent.map((row) => row.id)],
        );
        this.#options.onEvent?.({
          type: 'published',
          shard: this.#shard.name,
          count: sent.length,
          oldestAgeMs: Math.max(...sent.map((row) => row.age_ms)),
        });
      }
      return rows.length;
    });
    if (failure) {
      await this.#reportBacklog(source, true);
      throw failure;
    }
    await this.#reportBacklog(source, false);
    await this.#prune(source);
    return count;
  }

  /** Rows the broker did not take this round: one more attempt and the reason noted, their spans ended as failed. */
  async #missed(
    manager: EntityManager,
    rows: readonly Row[],
    spans: ReadonlyArray<Span | undefined> | undefined,
    error: unknown,
    reason: string,
  ): Promise<void> {
    spans?.forEach((span) => {
      if (!span) return;
      markFailed(span, error);
      span.end();
    });
    await manager.query('UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = ANY($1::bigint[])', [
      rows.map((row) => row.id),
      reason.slice(0, 1_000),
    ]);
  }

  async #reportBacklog(source: DataSource, force: boolean): Promise<void> {
    if (!this.#options.onEvent || (!force && Date.now() - this.#backlogAt < BACKLOG_EVERY_MS)) return;
    await this.#readBacklog(source);
  }

  /** Unpublished rows and the oldest one's age (an index-only count: outbox_unpublished_idx), reported as a backlog event. */
  async #readBacklog(source: DataSource): Promise<{ unpublished: number; oldest_ms: number }> {
    this.#backlogAt = Date.now();
    const [row] = (await source.query(
      `SELECT count(*)::int AS unpublished, coalesce(extract(epoch FROM now() - min(created_at)) * 1000, 0)::float8 AS oldest_ms FROM outbox WHERE published_at IS NULL`,
    )) as Array<{ unpublished: number; oldest_ms: number }>;
    this.#options.onEvent?.({ type: 'backlog', shard: this.#shard.name, unpublished: row.unpublished, oldestAgeMs: row.oldest_ms });
    return row;
  }

  async #prune(source: DataSource): Promise<void> {
    if (Date.now() - this.#prunedAt < PRUNE_EVERY_MS) return;
    this.#prunedAt = Date.now();
    const result = (await source.query(
      `DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE published_at < now() - $1 * interval '1 millisecond' LIMIT 10000)`,
      [this.#options.retentionMs],
    )) as [unknown[], number];
    this.#options.onEvent?.({ type: 'pruned', shard: this.#shard.name, count: result[1] ?? 0 });
  }
}

/** The broker did not take a batch; its rows stay unpublished for the next try. */
export class PublishFailure extends Error {
  constructor(
    readonly count: number,
    cause: unknown,
  ) {
    super(`could not publish ${count} outbox rows: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'PublishFailure';
  }
}

function toMessage(row: Row, span: Span | undefined): OutboxMessage {
  const message: OutboxMessage = {
    eventId: row.event_id,
    topic: row.topic,
    key: row.message_key,
    eventType: row.event_type,
    payload: row.payload,
  };
  if (span) message.traceparent = traceparentOf(span);
  return message;
}

/**
 * A PRODUCER span for a row written by a traced request, continuing that request's trace: the
 * time the row waited in the outbox and how many tries it took are the pattern's numbers. A
 * row without a trace gets none (a relay round is not a trace of its own).
 */
function publishSpan(row: Row, shard: string): Span | undefined {
  if (!row.trace_parent) return undefined;
  return startSpan(
    `${row.topic} publish`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.destination.name': row.topic,
        'messaging.operation.type': 'send',
        'messaging.kafka.message.key': row.message_key,
        'tenk.event.type': row.event_type,
        'tenk.outbox.shard': shard,
        'tenk.outbox.wait_ms': Math.round(row.age_ms),
        'tenk.outbox.attempt': row.attempts + 1,
      },
    },
    extractTraceContext({ traceparent: row.trace_parent }),
  );
}

import type { Admin, Batch, Consumer, EachBatchPayload, IHeaders, KafkaMessage } from 'kafkajs';
import type { PinoLogger } from 'nestjs-pino';
import type { Counter, Gauge, Histogram } from 'prom-client';
import { isContractError } from '@tenk/contracts';
import { StartOffsets } from './start-offsets';

/** Where a message came from, for handlers that log or key work on it. */
export interface KafkaMessageContext {
  topic: string;
  partition: number;
  offset: string;
  key: string | undefined;
  headers: IHeaders;
}

export interface EventConsumerOptions {
  groupId: string;
  topic: string;
  /**
   * Where a group without committed offsets starts: the beginning (rebuild state from the
   * whole log, e.g. sales aggregates) or new messages only (side effects such as mail, which
   * must not be repeated for every past order when a new group appears). Either way the start
   * is committed when a partition is first assigned (StartOffsets), so a member that comes
   * back later never skips what was produced while it was away.
   */
  fromBeginning: boolean;
  /**
   * Handles one message's JSON value. Keep it short (validate, write, enqueue): long work
   * belongs in a Bull job. Throwing a ContractError marks the message invalid: it is logged,
   * counted and skipped. Any other error is retried in place until it succeeds.
   */
  handle(value: unknown, context: KafkaMessageContext): Promise<void>;
}

export interface EventConsumerSettings {
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  rebalanceTimeoutMs: number;
}

export interface EventConsumerMetrics {
  messages: Counter<'group' | 'topic' | 'outcome'>;
  handleSeconds: Histogram<'group'>;
  lag: Gauge<'group' | 'topic' | 'partition'>;
  rebalances: Counter<'group'>;
}

const RETRY_FIRST_MS = 200;
const RETRY_MAX_MS = 10_000;

/**
 * A Kafka consumer group member that processes one message at a time, in partition order,
 * and commits an offset only after its message was handled (at-least-once: handlers are
 * idempotent by event id).
 *
 * It never gives the broker a reason to rebalance: kafkajs sends heartbeats only between
 * messages, so a handler slower than the session timeout gets its member evicted and the
 * whole group rebalanced, over and over (a rebalance storm). Here handlers are short by
 * contract (slow work goes to Bull), a heartbeat goes out after every message and during
 * every retry wait, and a failing handler is retried in place with backoff (heartbeating)
 * rather than crashing the consumer into a rejoin.
 */
export class KafkaEventConsumer {
  readonly options: EventConsumerOptions;
  readonly #consumer: Consumer;
  readonly #admin: Admin;
  readonly #startOffsets: StartOffsets;
  readonly #logger: PinoLogger;
  readonly #metrics: EventConsumerMetrics;
  #joined = false;
  #assigned: number[] = [];
  #resolveReady!: () => void;
  readonly #ready: Promise<void>;

  constructor(consumer: Consumer, admin: Admin, options: EventConsumerOptions, logger: PinoLogger, metrics: EventConsumerMetrics) {
    this.options = options;
    this.#consumer = consumer;
    this.#admin = admin;
    this.#startOffsets = new StartOffsets(admin, options, logger);
    this.#logger = logger;
    this.#metrics = metrics;
    this.#ready = new Promise((resolve) => {
      this.#resolveReady = resolve;
    });
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      this.#joined = true;
      this.#assigned = event.payload.memberAssignment[options.topic] ?? [];
      this.#metrics.rebalances.inc({ group: options.groupId });
      this.#logger.info({ group: options.groupId, topic: options.topic, partitions: this.#assigned, durationMs: event.payload.duration }, 'joined the consumer group');
      // Synchronously, before kafkajs fetches: pause, pin new partitions' starts, resume.
      void this.#startOffsets.onJoin(consumer, this.#assigned).then(() => this.#resolveReady());
    });
    consumer.on(consumer.events.REBALANCING, () => {
      this.#joined = false;
      this.#logger.info({ group: options.groupId }, 'consumer group rebalancing');
    });
    consumer.on(consumer.events.CRASH, (event) => {
      this.#joined = false;
      this.#logger.error({ err: event.payload.error, group: options.groupId, restart: event.payload.restart }, 'consumer crashed');
    });
  }

  /** Connects, subscribes and starts consuming (returns once running, not when joined). */
  async start(): Promise<void> {
    await this.#admin.connect();
    await this.#startOffsets.recordStarts();
    await this.#consumer.connect();
    await this.#consumer.subscribe({ topics: [this.options.topic], fromBeginning: this.options.fromBeginning });
    await this.#consumer.run({
      eachBatchAutoResolve: false,
      // Commit what was handled at least every second (fewer redeliveries after a crash).
      autoCommitInterval: 1_000,
      autoCommitThreshold: 100,
      eachBatch: (payload) => this.#eachBatch(payload),
    });
  }

  /** Resolves once this member has joined the group, has its partitions and their starts are pinned. */
  ready(): Promise<void> {
    return this.#ready;
  }

  /** Joined, and the partitions assigned (for /health/ready). */
  status(): { joined: boolean; partitions: number[] } {
    return { joined: this.#joined, partitions: [...this.#assigned] };
  }

  /** Leaves the group; offsets of handled messages are committed first. */
  async stop(): Promise<void> {
    this.#startOffsets.stop();
    await this.#consumer.disconnect();
    await this.#admin.disconnect();
  }

  async #eachBatch({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { groupId } = this.options;
    for (const message of batch.messages) {
      if (!isRunning() || isStale()) return;
      const handled = await this.#handleWithRetry(batch, message, heartbeat, () => isRunning() && !isStale());
      if (!handled) return; // stopping or reassigned: the message stays uncommitted and comes back
      resolveOffset(message.offset);
      await commitOffsetsIfNecessary();
      await heartbeat();
    }
    this.#metrics.lag.set({ group: groupId, topic: batch.topic, partition: String(batch.partition) }, Number(batch.offsetLag()));
  }

  /** True once the message is handled or skipped as invalid; false when we must stop. */
  async #handleWithRetry(batch: Batch, message: KafkaMessage, heartbeat: () => Promise<void>, stillOurs: () => boolean): Promise<boolean> {
    const { groupId, topic } = this.options;
    const context: KafkaMessageContext = { topic: batch.topic, partition: batch.partition, offset: message.offset, key: message.key?.toString(), headers: message.headers ?? {} };
    let delay = RETRY_FIRST_MS;
    for (let attempt = 1; ; attempt += 1) {
      const started = process.hrtime.bigint();
      try {
        if (message.value === null) {
          this.#metrics.messages.inc({ group: groupId, topic, outcome: 'skipped' });
          return true;
        }
        let value: unknown;
        try {
          value = JSON.parse(message.value.toString('utf8'));
        } catch (error) {
          this.#invalid(context, `not JSON: ${(error as Error).message}`);
          return true;
        }
        await this.options.handle(value, context);
        this.#metrics.handleSeconds.observe({ group: groupId }, Number(process.hrtime.bigint() - started) / 1e9);
        this.#metrics.messages.inc({ group: groupId, topic, outcome: 'processed' });
        return true;
      } catch (error) {
        if (isContractError(error)) {
          this.#invalid(context, error.message);
          return true;
        }
        this.#metrics.messages.inc({ group: groupId, topic, outcome: 'retried' });
        this.#logger.warn({ err: error, group: groupId, ...context, attempt, retryInMs: delay }, 'handling a message failed; retrying it in place');
      }
      // Wait, heartbeating, so the broker keeps us in the group while the dependency recovers.
      const until = Date.now() + delay;
      while (Date.now() < until) {
        if (!stillOurs()) return false;
        await heartbeat();
        await new Promise((resolve) => setTimeout(resolve, Math.min(500, until - Date.now())));
      }
      if (!stillOurs()) return false;
      delay = Math.min(RETRY_MAX_MS, delay * 2);
    }
  }

  #invalid(context: KafkaMessageContext, problem: string): void {
    this.#metrics.messages.inc({ group: this.options.groupId, topic: this.options.topic, outcome: 'invalid' });
    this.#logger.error({ group: this.options.groupId, ...context, problem }, 'invalid message skipped (it breaks its contract; fix the producer)');
  }
}

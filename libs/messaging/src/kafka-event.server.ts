import { ServerKafka, type ConsumerDeserializer, type CustomTransportStrategy, type IncomingEvent } from '@nestjs/microservices';
import type { Admin, Consumer, Kafka, KafkaConfig } from 'kafkajs';
import type { PinoLogger } from 'nestjs-pino';
import type { HealthRegistry } from '@tenk/observability';
import type { KafkaEventMetrics } from './kafka-event-metrics';
import { StartOffsets } from './start-offsets';

export interface KafkaEventServerOptions {
  /** The consumer group, used as is (no `-server` postfix): `<TENK_KAFKA_GROUP_PREFIX>.<service>`. */
  groupId: string;
  /**
   * The topic each `@EventPattern` name stands for, resolved from the configuration at
   * bootstrap: `{ [TOPICS.ordersEvents]: config.messaging.kafka.ordersTopic }`. Patterns not
   * named here are subscribed to as they are written.
   */
  topics: Record<string, string>;
  /**
   * Where the group starts on a partition it has never committed on: the beginning (rebuild
   * state from the whole log, e.g. sales aggregates) or new messages only (side effects such as
   * mail, not repeated for every past order when a new group appears). Either way the start is
   * committed the first time the partition is assigned (StartOffsets).
   */
  fromBeginning: boolean;
  client: KafkaConfig;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  rebalanceTimeoutMs: number;
  metrics: KafkaEventMetrics;
  health: HealthRegistry;
  logger: PinoLogger;
}

/** An event's pattern is its topic, its data the message value as the broker has it (a Buffer, or null). */
class RawValueDeserializer implements ConsumerDeserializer {
  deserialize(message: { value: Buffer | null }, options?: Record<string, unknown>): IncomingEvent {
    return { pattern: options?.['channel'], data: message.value };
  }
}

const servers = new WeakMap<object, KafkaEventServer>();

/**
 * Nest's Kafka transport (ServerKafka) with what tenk's consumers need and the stock transport
 * does not give:
 * - topics and group from configuration: `@EventPattern(TOPICS.ordersEvents)` is resolved to
 *   TENK_ORDERS_TOPIC here, so every test runs on a topic and group of its own;
 * - `run.autoCommit: false`: nothing is committed but what KafkaEventInterceptor (handled) or
 *   KafkaEventExceptionFilter (broke its contract) commit, one message at a time;
 * - values handed over raw (`parser.keepBinary`, a deserializer that passes the value): the
 *   pipe on `@Payload()` parses and checks the contract, so "not JSON" is a contract violation,
 *   not a string;
 * - the start of a partition the group never committed on pinned at the first assignment
 *   (StartOffsets), so a member away while events were produced never skips them;
 * - joins and lag as metrics, a readiness entry per group, and close() telling a handler
 *   retrying in place to give the message back.
 * It creates nothing by hand: ServerKafka.start makes and connects the consumer, then calls
 * the hooks overridden here (registerConsumerEventListeners, bindEvents).
 */
export class KafkaEventServer extends ServerKafka implements CustomTransportStrategy {
  readonly #settings: KafkaEventServerOptions;
  readonly #pins = new Map<string, StartOffsets>();
  #admin: Admin | undefined;
  #joined = false;
  #partitions: Record<string, number[]> = {};
  #closing = false;
  #resolveReady!: () => void;
  readonly #ready = new Promise<void>((resolve) => {
    this.#resolveReady = resolve;
  });

  constructor(settings: KafkaEventServerOptions) {
    super({
      postfixId: '',
      client: settings.client,
      consumer: {
        groupId: settings.groupId,
        sessionTimeout: settings.sessionTimeoutMs,
        heartbeatInterval: settings.heartbeatIntervalMs,
        rebalanceTimeout: settings.rebalanceTimeoutMs,
        allowAutoTopicCreation: false,
      },
      subscribe: { fromBeginning: settings.fromBeginning },
      // ServerKafka connects a producer for replies; events get none, so it stays idle.
      producer: { allowAutoTopicCreation: false },
      run: { autoCommit: false },
      parser: { keepBinary: true },
      deserializer: new RawValueDeserializer(),
    });
    this.#settings = settings;
    settings.health.register({
      name: `kafka-consumer:${settings.groupId}`,
      critical: false,
      check: async () => {
        if (!this.#joined)
          return { degraded: true, details: { message: `not a member of group ${settings.groupId} yet (joining or rebalancing)` } };
        return { details: { partitions: this.#partitions } };
      },
    });
  }

  /** The server whose consumer delivered a message (for the interceptor and the filter). */
  static of(consumer: object): KafkaEventServer {
    const server = servers.get(consumer);
    if (!server)
      throw new Error('this Kafka message was not delivered by a KafkaEventServer: connect the microservice with KafkaTransport.server()');
    return server;
  }

  /** The consumer group, as configured. */
  get group(): string {
    return this.#settings.groupId;
  }

  /** Stopping: a handler retrying in place gives its message back (uncommitted) instead. */
  get closing(): boolean {
    return this.#closing;
  }

  /** Resolves once this member has joined its group and the starts of its partitions are pinned. */
  ready(): Promise<void> {
    return this.#ready;
  }

  /**
   * ServerKafka.start calls this with its consumer connected, before it subscribes and runs:
   * the right moment to read where each partition starts (StartOffsets), and to move each
   * handler from its pattern to the configured topic the broker delivers under.
   */
  override async bindEvents(consumer: NonNullable<typeof this.consumer>): Promise<void> {
    // Nest types kafkajs objects with its own copy of their interfaces: this is kafkajs' Kafka.
    const admin = (this.client as unknown as Kafka).admin();
    this.#admin = admin;
    await admin.connect();
    for (const topic of this.#topics()) {
      const pins = new StartOffsets(
        admin,
        { groupId: this.#settings.groupId, topic, fromBeginning: this.#settings.fromBeginning },
        this.#settings.logger,
      );
      await pins.recordStarts();
      this.#pins.set(topic, pins);
    }
    for (const [pattern, topic] of Object.entries(this.#settings.topics)) {
      const handler = this.messageHandlers.get(pattern);
      if (!handler || pattern === topic) continue;
      this.messageHandlers.delete(pattern);
      this.messageHandlers.set(topic, handler);
    }
    await super.bindEvents(consumer);
  }

  protected override registerConsumerEventListeners(): void {
    super.registerConsumerEventListeners();
    const consumer = this.consumer as unknown as Consumer;
    servers.set(consumer, this);
    const { groupId, logger, metrics } = this.#settings;
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      this.#joined = true;
      this.#partitions = event.payload.memberAssignment;
      metrics.joins.inc({ group: groupId });
      logger.info({ group: groupId, partitions: this.#partitions, durationMs: event.payload.duration }, 'joined the consumer group');
      // Synchronously, before kafkajs' first fetch: pause, pin new partitions' starts, resume.
      const pinned = [...this.#pins].map(([topic, pins]) => pins.onJoin(consumer, event.payload.memberAssignment[topic] ?? []));
      void Promise.all(pinned).then(() => this.#resolveReady());
    });
    consumer.on(consumer.events.REBALANCING, () => {
      this.#joined = false;
      logger.info({ group: groupId }, 'consumer group rebalancing');
    });
    consumer.on(consumer.events.CRASH, (event) => {
      this.#joined = false;
      logger.error({ err: event.payload.error, group: groupId, restart: event.payload.restart }, 'consumer crashed');
    });
    consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
      metrics.lag.set(
        { group: groupId, topic: event.payload.topic, partition: String(event.payload.partition) },
        Number(event.payload.offsetLag),
      );
    });
  }

  /** Leaves the group (a running handler finishes or gives its message back first). Safe to call twice. */
  override async close(): Promise<void> {
    this.#closing = true;
    for (const pins of this.#pins.values()) pins.stop();
    this.#joined = false;
    await super.close();
    await this.#admin?.disconnect();
    this.#admin = undefined;
  }

  #topics(): string[] {
    const patterns = [...this.messageHandlers.keys()];
    return patterns.map((pattern) => this.#settings.topics[pattern] ?? pattern);
  }
}

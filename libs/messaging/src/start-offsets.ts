import type { Admin, Consumer } from 'kafkajs';
import type { PinoLogger } from 'nestjs-pino';

export interface StartOffsetsOptions {
  groupId: string;
  topic: string;
  /** Where a partition without a committed offset starts: its first message, or its end. */
  fromBeginning: boolean;
}

const RETRY_FIRST_MS = 200;
const RETRY_MAX_MS = 5_000;

/**
 * Pins where a consumer group starts on each partition, on the broker, the first time the
 * group is assigned a partition without a committed offset.
 *
 * Without it, kafkajs resolves such a partition to its end (fromBeginning: false) at every
 * join and commits nothing until a message there was handled: a group whose member went away
 * (a deploy, the broker down) while events were produced to a partition it never committed on
 * rejoins at the new end and skips them for good. Here the start is the end of the partition
 * as it was when this member began listening (read before it subscribed), committed before
 * the partition is fetched: the partition is paused from the join (kafkajs emits GROUP_JOIN
 * before its first fetch) until the commit is on the broker. Every later join finds the
 * committed offset, however long the group was away (within the broker's offset retention,
 * `offsets.retention.minutes`, counted from when the group became empty).
 */
export class StartOffsets {
  readonly #options: StartOffsetsOptions;
  readonly #admin: Admin;
  readonly #logger: PinoLogger;
  /** The start of each partition as seen when this member began listening. */
  #starts = new Map<number, string>();
  #generation = 0;
  #running = true;

  constructor(admin: Admin, options: StartOffsetsOptions, logger: PinoLogger) {
    this.#admin = admin;
    this.#options = options;
    this.#logger = logger;
  }

  /** Reads each partition's start position; call before the consumer subscribes. */
  async recordStarts(): Promise<void> {
    this.#starts = await this.#readStarts();
  }

  /**
   * Call from the consumer's GROUP_JOIN listener, synchronously (before kafkajs fetches):
   * pauses the assigned partitions, commits a start on those without a committed offset,
   * resumes. Resolves once done, or once a newer join or stop() made it moot.
   */
  onJoin(consumer: Consumer, partitions: number[]): Promise<void> {
    const generation = ++this.#generation;
    if (partitions.length === 0) return Promise.resolve();
    const assigned = [{ topic: this.#options.topic, partitions }];
    consumer.pause(assigned);
    return this.#pin(consumer, partitions, generation).finally(() => {
      if (generation === this.#generation && this.#running) consumer.resume(assigned);
    });
  }

  /** The member is leaving: stop any pinning still retrying. */
  stop(): void {
    this.#running = false;
  }

  async #pin(consumer: Consumer, partitions: number[], generation: number): Promise<void> {
    const { groupId, topic } = this.#options;
    const current = () => this.#running && generation === this.#generation;
    let delay = RETRY_FIRST_MS;
    while (current()) {
      try {
        const [committed] = await this.#admin.fetchOffsets({ groupId, topics: [topic] });
        const unpinned = partitions.filter(
          (partition) => (committed?.partitions.find((p) => p.partition === partition)?.offset ?? '-1') === '-1',
        );
        if (unpinned.length === 0) return;
        // A partition added since we started listening: its start is its start now.
        if (unpinned.some((partition) => !this.#starts.has(partition)))
          this.#starts = new Map([...(await this.#readStarts()), ...this.#starts]);
        if (!current()) return;
        const offsets = unpinned.map((partition) => ({ topic, partition, offset: this.#starts.get(partition) ?? '0' }));
        await consumer.commitOffsets(offsets);
        this.#logger.info(
          { group: groupId, topic, pinned: offsets.map(({ partition, offset }) => ({ partition, offset })) },
          'pinned the start of partitions this group had never committed on',
        );
        return;
      } catch (error) {
        if (!current()) return;
        this.#logger.warn(
          { err: error, group: groupId, topic, retryInMs: delay },
          'could not pin the start of new partitions; partitions stay paused, retrying',
        );
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(RETRY_MAX_MS, delay * 2);
      }
    }
  }

  async #readStarts(): Promise<Map<number, string>> {
    const offsets = await this.#admin.fetchTopicOffsets(this.#options.topic);
    return new Map(offsets.map((p) => [p.partition, this.#options.fromBeginning ? p.low : p.high]));
  }
}

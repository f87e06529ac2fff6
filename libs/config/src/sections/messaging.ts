import { EnvReader } from '../env-reader';

/** How one Bull queue's jobs are worked: parallelism, retries, backoff. */
export interface JobQueueSettings {
  /** Jobs one worker process runs at the same time. */
  concurrency: number;
  /** Attempts before a job is dead-lettered (1 = no retry). */
  attempts: number;
  /** The first retry's delay; each next one doubles (exponential backoff). */
  backoffMs: number;
}

/** Bull queues (on the queue Redis) and Kafka consumers (libs/messaging). */
export interface MessagingConfig {
  /**
   * Prefix of every Bull key in the queue Redis (TENK_QUEUE_PREFIX). Two shops on one Redis
   * with different prefixes never see each other's jobs. Unset, libs/messaging derives it from
   * the storage folder (`tenk` for the default one), because jobs name files in that folder.
   */
  queuePrefix: string | undefined;
  /**
   * How long a worker's lock on a running job lasts; the worker renews it at half this while
   * it is alive. A killed worker's job is taken over once the lock has lapsed.
   */
  lockDurationMs: number;
  /** How often workers look for jobs whose worker died (stalled jobs). */
  stalledIntervalMs: number;
  /** A job stalled more often than this fails instead of running again. */
  maxStalledCount: number;
  video: JobQueueSettings;
  mail: JobQueueSettings;
  report: JobQueueSettings;
  kafka: KafkaConsumerSettings;
}

export interface KafkaConsumerSettings {
  /** Consumer groups are `<prefix>.mailer`, `<prefix>.reports`. */
  groupPrefix: string;
  /** The topic OrderPlaced events are read from (tests point it at a topic of their own). */
  ordersTopic: string;
  /** No heartbeat for this long and the broker drops the member and rebalances its partitions. */
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** How long members get to finish in-flight work when the group rebalances. */
  rebalanceTimeoutMs: number;
}

const NAME = /^[A-Za-z0-9._-]+$/;

function queueSettings(env: EnvReader, queue: 'VIDEO' | 'MAIL' | 'REPORT', defaults: JobQueueSettings): JobQueueSettings {
  return {
    concurrency: env.int(`TENK_${queue}_CONCURRENCY`, defaults.concurrency, { min: 1, max: 256 }),
    attempts: env.int(`TENK_${queue}_ATTEMPTS`, defaults.attempts, { min: 1, max: 100 }),
    backoffMs: env.durationMs(`TENK_${queue}_BACKOFF`, defaults.backoffMs),
  };
}

export function readMessaging(env: EnvReader): MessagingConfig {
  const queuePrefix = env.list('TENK_QUEUE_PREFIX', [''], NAME)[0] || undefined;
  const groupPrefix = env.list('TENK_KAFKA_GROUP_PREFIX', ['tenk'], NAME)[0];
  const ordersTopic = env.list('TENK_ORDERS_TOPIC', ['orders.events'], NAME)[0];
  const sessionTimeoutMs = env.durationMs('TENK_KAFKA_SESSION_TIMEOUT', 30_000);
  const heartbeatIntervalMs = env.durationMs('TENK_KAFKA_HEARTBEAT_INTERVAL', 3_000);
  if (heartbeatIntervalMs * 3 > sessionTimeoutMs) {
    env.problem(
      'TENK_KAFKA_HEARTBEAT_INTERVAL',
      String(heartbeatIntervalMs),
      `must be at most a third of TENK_KAFKA_SESSION_TIMEOUT (${sessionTimeoutMs} ms)`,
    );
  }
  const lockDurationMs = env.durationMs('TENK_QUEUE_LOCK_DURATION', 30_000);
  if (lockDurationMs < 1_000)
    env.problem('TENK_QUEUE_LOCK_DURATION', String(lockDurationMs), 'must be at least 1s: workers renew the lock at half of it');
  return {
    queuePrefix,
    lockDurationMs,
    stalledIntervalMs: env.durationMs('TENK_QUEUE_STALLED_INTERVAL', 30_000),
    maxStalledCount: env.int('TENK_QUEUE_MAX_STALLED', 2, { min: 0, max: 100 }),
    video: queueSettings(env, 'VIDEO', { concurrency: 1, attempts: 3, backoffMs: 10_000 }),
    mail: queueSettings(env, 'MAIL', { concurrency: 5, attempts: 8, backoffMs: 2_000 }),
    report: queueSettings(env, 'REPORT', { concurrency: 1, attempts: 3, backoffMs: 5_000 }),
    kafka: {
      groupPrefix,
      ordersTopic,
      sessionTimeoutMs,
      heartbeatIntervalMs,
      rebalanceTimeoutMs: env.durationMs('TENK_KAFKA_REBALANCE_TIMEOUT', 60_000),
    },
  };
}

import { createHash } from 'node:crypto';
import path from 'node:path';
import type { BullModuleOptions } from '@nestjs/bull';
import type { JobOptions } from 'bull';
import type { JobQueueSettings, TenkConfig } from '@tenk/config';
import { QUEUES, type QueueName } from '@tenk/contracts';

/**
 * Where jobs that failed for good are kept for people to read (Bull Board) and replay: one
 * job per dead job, holding its queue, name, payload, attempts and the last error.
 */
export const DEAD_LETTER_QUEUE = 'dead-letter';

export type RegisteredQueueName = QueueName | typeof DEAD_LETTER_QUEUE;

/**
 * The prefix of every Bull key: TENK_QUEUE_PREFIX when set; otherwise `tenk` for a shop using
 * the default storage folder (.tenk/storage), and `tenk-<hash of the folder>` for any other.
 * A job names files in storage (a video's source, a report's file): a worker reading another
 * folder would take the job and fail it. Shops sharing a queue Redis but not a storage folder
 * (a load-test shop with its own TENK_STATE_DIR beside `npm start`) thus never share queues.
 */
export function queuePrefix(config: TenkConfig): string {
  if (config.messaging.queuePrefix) return config.messaging.queuePrefix;
  const storage = path.resolve(config.paths.storage);
  if (storage === path.join(config.paths.root, '.tenk', 'storage')) return 'tenk';
  return `tenk-${createHash('sha256').update(storage).digest('hex').slice(0, 8)}`;
}

const DAY_SECONDS = 24 * 3600;

/**
 * Default job options of each queue, in one place. Finished jobs are kept for a while (Bull
 * Board shows them; a re-added job id within that window is a no-op), failed ones longer.
 */
function jobDefaults(settings: JobQueueSettings, keepCompleted: { age: number; count: number }): JobOptions {
  return {
    attempts: settings.attempts,
    backoff: { type: 'exponential', delay: settings.backoffMs },
    removeOnComplete: keepCompleted,
    removeOnFail: { age: 30 * DAY_SECONDS },
  };
}

export function queueSettingsOf(queue: QueueName, config: TenkConfig): JobQueueSettings {
  switch (queue) {
    case QUEUES.video:
      return config.messaging.video;
    case QUEUES.mail:
      return config.messaging.mail;
    case QUEUES.report:
      return config.messaging.report;
  }
}

/** Everything Bull needs to open a queue of ours, from the configuration. */
export function queueOptions(name: RegisteredQueueName, config: TenkConfig): BullModuleOptions {
  const { lockDurationMs, stalledIntervalMs, maxStalledCount } = config.messaging;
  const settings = {
    lockDuration: lockDurationMs,
    lockRenewTime: Math.floor(lockDurationMs / 2),
    stalledInterval: stalledIntervalMs,
    maxStalledCount,
  };
  if (name === DEAD_LETTER_QUEUE) {
    // Nothing consumes it: jobs wait there until someone looks. Kept 90 days.
    return { name, settings, defaultJobOptions: { attempts: 1, removeOnComplete: true, removeOnFail: { age: 90 * DAY_SECONDS } } };
  }
  const keep = {
    [QUEUES.video]: { age: 7 * DAY_SECONDS, count: 1_000 },
    [QUEUES.mail]: { age: DAY_SECONDS, count: 10_000 },
    [QUEUES.report]: { age: 7 * DAY_SECONDS, count: 1_000 },
  }[name];
  return { name, settings, defaultJobOptions: jobDefaults(queueSettingsOf(name, config), keep) };
}

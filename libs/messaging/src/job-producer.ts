import { Injectable } from '@nestjs/common';
import type { JobOptions } from 'bull';
import type { Counter } from 'prom-client';
import type { JobContract } from '@tenk/contracts';
import { currentTraceparent, MetricsService } from '@tenk/observability';
import { QueueUnavailableError } from './errors';
import { Queues } from './queues';

/** A queue Redis that does not answer within this is treated as down (the caller gets 503). */
const ENQUEUE_TIMEOUT_MS = 3_000;

export interface EnqueueOptions {
  /**
   * The job's id: a job added again with the id of one still in the queue (waiting, running
   * or kept after finishing) is not added twice. Derive it from what the job is about.
   */
  jobId: string;
  delayMs?: number;
}

/** Bull keeps a job's options as JSON: this field comes back on the worker's `job.opts`. */
export interface TracedJobOptions extends JobOptions {
  traceparent?: string;
}

/** Adds jobs by contract: the payload is checked against its contract before it is queued. */
@Injectable()
export class JobProducer {
  readonly #enqueued: Counter<'queue' | 'job'>;

  constructor(
    private readonly queues: Queues,
    metrics: MetricsService,
  ) {
    this.#enqueued = metrics.counter('tenk_queue_jobs_enqueued_total', 'Jobs added to Bull queues, by queue and job name', [
      'queue',
      'job',
    ]);
  }

  /** Throws QueueUnavailableError when the queue Redis does not take the job in time. */
  async enqueue<T>(contract: JobContract<T>, payload: T, options: EnqueueOptions): Promise<{ jobId: string }> {
    const data = contract.parse(payload);
    const queue = this.queues.get(contract.queue);
    const jobOptions: TracedJobOptions = { jobId: options.jobId, ...(options.delayMs ? { delay: options.delayMs } : {}) };
    // The enqueuing request's trace travels in the job's options (Bull stores them whole), not
    // in its data, which is the contract: the worker's span continues it.
    const traceparent = currentTraceparent();
    if (traceparent) jobOptions.traceparent = traceparent;
    let timer: NodeJS.Timeout | undefined;
    try {
      // Bull's client retries forever while Redis is away: bound the wait here instead.
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ENQUEUE_TIMEOUT_MS} ms`)), ENQUEUE_TIMEOUT_MS);
      });
      await Promise.race([queue.add(contract.name, data, jobOptions), timeout]);
    } catch (error) {
      throw new QueueUnavailableError(contract.queue, error);
    } finally {
      clearTimeout(timer);
    }
    this.#enqueued.inc({ queue: contract.queue, job: contract.name });
    return { jobId: options.jobId };
  }

  /**
   * Makes `contract` a job that repeats every `everyMs` (Bull's repeatable jobs): one schedule
   * per queue however many processes call this, since Bull keys it by name, id and interval.
   */
  async schedule<T>(contract: JobContract<T>, payload: T, options: { everyMs: number; jobId: string }): Promise<void> {
    const queue = this.queues.get(contract.queue);
    const data = contract.parse(payload);
    // An earlier interval's schedule would keep running beside the new one: drop it first.
    for (const repeatable of await queue.getRepeatableJobs()) {
      if (repeatable.name === contract.name && repeatable.id === options.jobId && repeatable.every !== options.everyMs)
        await queue.removeRepeatableByKey(repeatable.key);
    }
    await queue.add(contract.name, data, {
      jobId: options.jobId,
      repeat: { every: options.everyMs },
      removeOnComplete: 10,
      removeOnFail: 50,
    });
  }
}

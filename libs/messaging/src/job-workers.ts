import { Injectable } from '@nestjs/common';
import type { Job, Queue } from 'bull';
import { PinoLogger } from 'nestjs-pino';
import type { Counter, Gauge, Histogram } from 'prom-client';
import { isContractError, type JobContract, type QueueName } from '@tenk/contracts';
import { MetricsService } from '@tenk/observability';
import { isPermanentJobError, PermanentJobError } from './errors';
import { DEAD_LETTER_QUEUE } from './queue-registry';
import { Queues } from './queues';

/** What a job handler knows about the run it is in. */
export interface JobContext {
  readonly jobId: string;
  /** 1 on the first run, 2 on the first retry, ... */
  readonly attempt: number;
  readonly maxAttempts: number;
  /** Reports progress (0-100) on the job: Bull Board and pollers see it. */
  progress(percent: number): Promise<void>;
}

/** A handler for one job contract, its payload already checked against the contract. */
export interface JobHandler {
  readonly contract: JobContract<unknown>;
  handle(payload: unknown, context: JobContext): Promise<unknown>;
}

export function jobHandler<T>(contract: JobContract<T>, handle: (payload: T, context: JobContext) => Promise<unknown>): JobHandler {
  return { contract, handle: (payload, context) => handle(payload as T, context) };
}

/** A job that failed for good: what the dead-letter queue keeps and hooks receive. */
export interface DeadJob {
  queue: string;
  jobName: string;
  jobId: string;
  payload: unknown;
  reason: string;
  attempts: number;
  failedAt: string;
}

/** What a user is shown for a dead job: its last error and how many runs it had. */
export function gaveUpReason(dead: DeadJob): string {
  return `${dead.reason} (gave up after ${dead.attempts} attempt${dead.attempts === 1 ? '' : 's'})`;
}

export interface WorkerOptions {
  /** Jobs this process runs at the same time from this queue. */
  concurrency: number;
  handlers: JobHandler[];
  /** Runs once a job is dead-lettered: record the failure where users see it. */
  onDeadLetter?(dead: DeadJob): Promise<void>;
}

export interface RunningWorker {
  /** Takes no new jobs, and waits up to `timeoutMs` for the running ones to finish. */
  stop(timeoutMs: number): Promise<void>;
}

const DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/**
 * Runs Bull jobs by contract: one processor per queue dispatching on the versioned job name,
 * payloads checked before a handler sees them, retries with backoff from the queue's default
 * options, and a dead-letter queue for jobs that failed for good (out of attempts, a
 * permanent error, or stalled too often). Durations, waits and failures become metrics.
 */
@Injectable()
export class JobWorkers {
  readonly #duration: Histogram<'queue' | 'job' | 'outcome'>;
  readonly #wait: Histogram<'queue' | 'job'>;
  readonly #failures: Counter<'queue' | 'job' | 'final'>;
  readonly #deadLetters: Counter<'queue' | 'job'>;
  readonly #stalled: Counter<'queue'>;
  readonly #active: Gauge<'queue'>;

  constructor(
    private readonly queues: Queues,
    private readonly logger: PinoLogger,
    metrics: MetricsService,
  ) {
    this.logger.setContext('jobs');
    this.#duration = metrics.histogram('tenk_queue_job_duration_seconds', 'Time a worker spent on a job, by queue, job name and outcome', ['queue', 'job', 'outcome'], DURATION_BUCKETS);
    this.#wait = metrics.histogram('tenk_queue_job_wait_seconds', 'Time a job waited in its queue before a worker took it', ['queue', 'job'], DURATION_BUCKETS);
    this.#failures = metrics.counter('tenk_queue_job_failures_total', 'Failed job runs; final="true" when the job will not be retried', ['queue', 'job', 'final']);
    this.#deadLetters = metrics.counter('tenk_queue_dead_letters_total', 'Jobs moved to the dead-letter queue after failing for good', ['queue', 'job']);
    this.#stalled = metrics.counter('tenk_queue_stalled_jobs_total', 'Jobs whose worker died mid-run and that were put back in the queue', ['queue']);
    this.#active = metrics.gauge('tenk_queue_jobs_running', 'Jobs this process is running now', ['queue']);
  }

  /** Starts consuming `queueName` in this process. Call once per queue. */
  start(queueName: QueueName, options: WorkerOptions): RunningWorker {
    const queue = this.queues.get(queueName);
    const handlers = new Map(options.handlers.map((handler) => [handler.contract.name, handler]));
    queue.on('failed', (job: Job, error: Error) => void this.#onFailed(queue, job, error, options));
    queue.on('stalled', (job: Job) => {
      this.#stalled.inc({ queue: queue.name });
      this.logger.warn({ queue: queue.name, jobId: job.id, jobName: job.name }, 'job stalled (its worker stopped mid-run): back in the queue');
    });
    queue.on('error', (error: Error) => this.logger.error({ err: error, queue: queue.name }, 'queue error'));
    queue.process('*', options.concurrency, (job: Job) => this.#run(queue, job, handlers)).catch((error: unknown) => {
      this.logger.error({ err: error, queue: queue.name }, 'queue processing stopped');
    });
    this.logger.info({ queue: queue.name, concurrency: options.concurrency, jobs: [...handlers.keys()] }, 'worker started');
    return {
      stop: async (timeoutMs) => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), timeoutMs);
        });
        const outcome = await Promise.race([queue.pause(true, false).then(() => 'drained' as const), timeout]);
        clearTimeout(timer);
        if (outcome === 'timeout') this.logger.warn({ queue: queue.name, timeoutMs }, 'jobs still running at shutdown: another worker takes them over once their lock lapses');
      },
    };
  }

  async #run(queue: Queue, job: Job, handlers: Map<string, JobHandler>): Promise<unknown> {
    const labels = { queue: queue.name, job: job.name };
    const attempt = job.attemptsMade + 1;
    const maxAttempts = job.opts.attempts ?? 1;
    const log = { queue: queue.name, jobId: job.id, jobName: job.name, attempt, maxAttempts };
    if (attempt === 1 && job.processedOn !== undefined) this.#wait.observe(labels, Math.max(0, job.processedOn - job.timestamp - (job.opts.delay ?? 0)) / 1000);
    const started = process.hrtime.bigint();
    this.#active.inc({ queue: queue.name });
    try {
      const handler = handlers.get(job.name);
      if (!handler) throw new PermanentJobError(`no handler for job "${job.name}" in this worker (it handles ${[...handlers.keys()].join(', ')}); deploy a worker that knows it`);
      let payload: unknown;
      try {
        payload = handler.contract.parse(job.data);
      } catch (error) {
        if (isContractError(error)) throw new PermanentJobError(`payload breaks ${job.name}: ${error.message}`, { cause: error });
        throw error;
      }
      this.logger.info(log, 'job started');
      const result = await handler.handle(payload, {
        jobId: String(job.id),
        attempt,
        maxAttempts,
        progress: (percent) => job.progress(Math.max(0, Math.min(100, Math.round(percent)))),
      });
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.#duration.observe({ ...labels, outcome: 'completed' }, seconds);
      this.logger.info({ ...log, durationMs: Math.round(seconds * 1000) }, 'job completed');
      return result;
    } catch (error) {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.#duration.observe({ ...labels, outcome: 'failed' }, seconds);
      // Bull retries unless the job is discarded: a permanent error goes to dead letters now.
      if (isPermanentJobError(error)) await job.discard();
      this.logger.warn({ ...log, err: error, durationMs: Math.round(seconds * 1000), permanent: isPermanentJobError(error) }, 'job failed');
      throw error;
    } finally {
      this.#active.dec({ queue: queue.name });
    }
  }

  /** Every failed run lands here (also jobs failed for stalling too often); final ones are dead-lettered. */
  async #onFailed(queue: Queue, job: Job, error: Error, options: WorkerOptions): Promise<void> {
    try {
      const state = await job.getState();
      const final = state === 'failed';
      this.#failures.inc({ queue: queue.name, job: job.name, final: String(final) });
      if (!final) return;
      const dead: DeadJob = {
        queue: queue.name,
        jobName: job.name,
        jobId: String(job.id),
        payload: job.data,
        reason: error.message,
        attempts: job.attemptsMade,
        failedAt: new Date(job.finishedOn ?? Date.now()).toISOString(),
      };
      await this.queues.get(DEAD_LETTER_QUEUE).add(`${queue.name}:${job.name}`, dead, { jobId: `${queue.name}:${job.id}` });
      this.#deadLetters.inc({ queue: queue.name, job: job.name });
      this.logger.error({ queue: queue.name, jobId: job.id, jobName: job.name, attempts: job.attemptsMade, reason: error.message }, 'job dead-lettered: it will not be retried');
      await options.onDeadLetter?.(dead);
    } catch (hookError) {
      this.logger.error({ err: hookError, queue: queue.name, jobId: job.id }, 'could not record a failed job');
    }
  }
}

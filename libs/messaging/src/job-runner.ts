import { Injectable } from '@nestjs/common';
import type { ProcessOptions } from '@nestjs/bull';
import type { Job, Queue } from 'bull';
import { PinoLogger } from 'nestjs-pino';
import type { Counter, Gauge, Histogram } from 'prom-client';
import { InjectConfig, type TenkConfig } from '@tenk/config';
import { isContractError, QUEUES, type JobContract, type QueueName } from '@tenk/contracts';
import { extractTraceContext, inSpan, MetricsService, SpanKind, tracingEnabled } from '@tenk/observability';
import type { TracedJobOptions } from './job-producer';
import { isPermanentJobError, PermanentJobError } from './errors';
import { DEAD_LETTER_QUEUE, queueSettingsOf } from './queue-registry';
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

/** A processor's handlers, by job name (what JobRunner.run dispatches on). */
export type JobHandlers = ReadonlyMap<string, JobHandler>;

export function jobHandlers(...handlers: JobHandler[]): JobHandlers {
  return new Map(handlers.map((handler) => [handler.contract.name, handler]));
}

const concurrencyByQueue = new Map<QueueName, number>();

/**
 * `@Process(everyJobOf(QUEUES.video))`: one processor for every job name of the queue (the
 * handler dispatches on the versioned name through JobRunner.run), running
 * TENK_<QUEUE>_CONCURRENCY jobs at a time. @nestjs/bull reads these options when it registers
 * the processor (at module init, once the configuration is loaded and JobRunner has recorded
 * each queue's concurrency from it); a decorator argument cannot read the configuration itself.
 * One `'*'` processor rather than one `@Process(name)` per job: Bull adds up the concurrency of
 * named processors, so three job names would run three times the configured jobs at once.
 */
export function everyJobOf(queue: QueueName): ProcessOptions {
  return {
    name: '*',
    get concurrency(): number {
      const concurrency = concurrencyByQueue.get(queue);
      if (concurrency === undefined)
        throw new Error(`no concurrency known for queue ${queue}: import MessagingModule so JobRunner reads it from the configuration`);
      return concurrency;
    },
  };
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

/** Nothing more to wait for: running jobs finished, or the wait timed out. */
export type DrainOutcome = 'drained' | 'timeout';

const DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/**
 * What tenk adds to a `@Processor` class (the processor owns the Bull wiring: `@Process`, and
 * from QueueProcessor `@OnQueueFailed`, `@OnQueueStalled`, `@OnQueueError`; this is what
 * their methods call): payloads checked against
 * their contract before a handler sees them (a broken one fails for good at once), dispatch on
 * the versioned job name, a dead-letter queue for jobs that failed for good (out of attempts,
 * a permanent error, or stalled too often) keeping the reason, and metrics for durations,
 * waits, failures and stalls. Retries with backoff come from the queue's default options.
 */
@Injectable()
export class JobRunner {
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
    @InjectConfig() config: TenkConfig,
  ) {
    this.logger.setContext('jobs');
    for (const queue of Object.values(QUEUES)) concurrencyByQueue.set(queue, queueSettingsOf(queue, config).concurrency);
    this.#duration = metrics.histogram(
      'tenk_queue_job_duration_seconds',
      'Time a worker spent on a job, by queue, job name and outcome',
      ['queue', 'job', 'outcome'],
      DURATION_BUCKETS,
    );
    this.#wait = metrics.histogram(
      'tenk_queue_job_wait_seconds',
      'Time a job waited in its queue before a worker took it',
      ['queue', 'job'],
      DURATION_BUCKETS,
    );
    this.#failures = metrics.counter('tenk_queue_job_failures_total', 'Failed job runs; final="true" when the job will not be retried', [
      'queue',
      'job',
      'final',
    ]);
    this.#deadLetters = metrics.counter('tenk_queue_dead_letters_total', 'Jobs moved to the dead-letter queue after failing for good', [
      'queue',
      'job',
    ]);
    this.#stalled = metrics.counter('tenk_queue_stalled_jobs_total', 'Jobs whose worker died mid-run and that were put back in the queue', [
      'queue',
    ]);
    this.#active = metrics.gauge('tenk_queue_jobs_running', 'Jobs this process is running now', ['queue']);
  }

  /**
   * The `@Process` handler's body: checks the payload against the contract of the job's name,
   * runs that handler, measures it. A PermanentJobError (or a broken payload, or a name no
   * handler knows) discards the job: no retries, straight to dead letters.
   */
  run(job: Job, handlers: JobHandlers): Promise<unknown> {
    if (!tracingEnabled()) return this.#run(job.queue, job, handlers);
    // A CONSUMER span continuing the trace of whoever enqueued the job (JobProducer put its
    // traceparent in the job's options), with the wait in the queue and the attempt.
    const traceparent = (job.opts as TracedJobOptions).traceparent;
    return inSpan(
      `${job.queue.name} process`,
      {
        kind: SpanKind.CONSUMER,
        parent: extractTraceContext(traceparent ? { traceparent } : undefined),
        attributes: {
          'messaging.system': 'bull',
          'messaging.destination.name': job.queue.name,
          'messaging.operation.type': 'process',
          'messaging.message.id': String(job.id),
          'tenk.job.name': job.name,
          'tenk.job.attempt': job.attemptsMade + 1,
          'tenk.queue.wait_ms':
            job.processedOn !== undefined ? Math.max(0, job.processedOn - job.timestamp - (job.opts.delay ?? 0)) : undefined,
        },
      },
      () => this.#run(job.queue, job, handlers),
    );
  }

  /**
   * The `@OnQueueFailed` handler's body: counts the failed run; when it was the last (out of
   * attempts, discarded, or stalled too often) copies the job to the dead-letter queue with its
   * reason, then calls `onDeadLetter` to record the failure where users see it. Never throws
   * (Bull calls event listeners without waiting for them).
   */
  async failed(job: Job, error: Error, onDeadLetter?: (dead: DeadJob) => Promise<void>): Promise<void> {
    await this.#onFailed(job.queue, job, error, onDeadLetter);
  }

  /** The `@OnQueueStalled` handler's body: its worker died mid-run; the job is back in the queue. */
  stalled(job: Job): void {
    this.#stalled.inc({ queue: job.queue.name });
    this.logger.warn(
      { queue: job.queue.name, jobId: job.id, jobName: job.name },
      'job stalled (its worker stopped mid-run): back in the queue',
    );
  }

  /** The `@OnQueueError` handler's body. */
  error(queue: QueueName, error: Error): void {
    this.logger.error({ err: error, queue }, 'queue error');
  }

  /**
   * For the processor's onModuleDestroy: this process takes no new jobs from `queueName`, and
   * waits up to `timeoutMs` for its running ones; one still running then is taken over by
   * another worker once its lock lapses.
   */
  async drain(queueName: QueueName, timeoutMs: number): Promise<DrainOutcome> {
    const queue = this.queues.get(queueName);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const outcome = await Promise.race([queue.pause(true, false).then(() => 'drained' as const), timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout')
      this.logger.warn(
        { queue: queue.name, timeoutMs },
        'jobs still running at shutdown: another worker takes them over once their lock lapses',
      );
    return outcome;
  }

  async #run(queue: Queue, job: Job, handlers: JobHandlers): Promise<unknown> {
    const labels = { queue: queue.name, job: job.name };
    const attempt = job.attemptsMade + 1;
    const maxAttempts = job.opts.attempts ?? 1;
    const log = { queue: queue.name, jobId: job.id, jobName: job.name, attempt, maxAttempts };
    if (attempt === 1 && job.processedOn !== undefined)
      this.#wait.observe(labels, Math.max(0, job.processedOn - job.timestamp - (job.opts.delay ?? 0)) / 1000);
    const started = process.hrtime.bigint();
    this.#active.inc({ queue: queue.name });
    try {
      const handler = handlers.get(job.name);
      if (!handler)
        throw new PermanentJobError(
          `no handler for job "${job.name}" in this worker (it handles ${[...handlers.keys()].join(', ')}); deploy a worker that knows it`,
        );
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
  async #onFailed(queue: Queue, job: Job, error: Error, onDeadLetter?: (dead: DeadJob) => Promise<void>): Promise<void> {
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
      this.logger.error(
        { queue: queue.name, jobId: job.id, jobName: job.name, attempts: job.attemptsMade, reason: error.message },
        'job dead-lettered: it will not be retried',
      );
      await onDeadLetter?.(dead);
    } catch (recordError) {
      this.logger.error({ err: recordError, queue: queue.name, jobId: job.id }, 'could not record a failed job');
    }
  }
}

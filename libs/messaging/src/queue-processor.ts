import { OnQueueError, OnQueueFailed, OnQueueStalled } from '@nestjs/bull';
import type { Job } from 'bull';
import type { QueueName } from '@tenk/contracts';
import type { DeadJob, JobRunner } from './job-runner';

/**
 * What every `@Processor` class extends: Bull's failed, stalled and error events handed to
 * JobRunner (failure counts and dead letters, stall counts, logged queue errors). @nestjs/bull
 * finds these listeners on the base class: its explorer scans the whole prototype chain
 * (MetadataScanner.scanFromPrototype) and reads the metadata off the inherited methods. A
 * subclass adds `@Process(everyJobOf(queue))` and, when a job that failed for good must be
 * recorded where users see it, overrides onDeadLetter (not onFailed: an override without the
 * decorator would hide the listener).
 */
export abstract class QueueProcessor {
  readonly #queue: QueueName;

  protected constructor(
    protected readonly jobs: JobRunner,
    queue: QueueName,
  ) {
    this.#queue = queue;
  }

  @OnQueueFailed()
  async onFailed(job: Job, error: Error): Promise<void> {
    await this.jobs.failed(job, error, (dead) => this.onDeadLetter(dead));
  }

  @OnQueueStalled()
  onStalled(job: Job): void {
    this.jobs.stalled(job);
  }

  @OnQueueError()
  onError(error: Error): void {
    this.jobs.error(this.#queue, error);
  }

  /** A job of this queue failed for good and is in the dead-letter queue now; nothing more by default. */
  protected onDeadLetter(_dead: DeadJob): Promise<void> {
    return Promise.resolve();
  }
}

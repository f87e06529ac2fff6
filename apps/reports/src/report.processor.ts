import { OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Process, Processor } from '@nestjs/bull';
import type { Job } from 'bull';
import { PinoLogger } from 'nestjs-pino';
import { InjectConfig, type TenkConfig } from '@tenk/config';
import { BUILD_REPORT_V1, EXPIRE_REPORTS_V1, QUEUES, type BuildReportJobV1 } from '@tenk/contracts';
import {
  everyJobOf,
  gaveUpReason,
  jobHandler,
  jobHandlers,
  JobProducer,
  JobRunner,
  PermanentJobError,
  QueueProcessor,
  type DeadJob,
  type JobContext,
} from '@tenk/messaging';
import { ReportBuilder, ReportRequests } from '@tenk/reporting';
import { InjectObjectStore, type ObjectStore } from '@tenk/storage';

/** Expired files deleted per sweep; the next sweep takes the rest. */
const EXPIRE_BATCH = 500;

/**
 * Consumes the Bull `report` queue, TENK_REPORT_CONCURRENCY at a time: `report.build.v1`
 * writes a requested report's CSV, `report.expire.v1` (repeating every
 * TENK_REPORT_EXPIRY_SWEEP, one schedule shop-wide) deletes files past TENK_REPORT_TTL. A
 * build that fails for good marks its report failed with the reason.
 */
@Processor(QUEUES.report)
export class ReportProcessor extends QueueProcessor implements OnApplicationBootstrap, OnModuleDestroy {
  readonly #handlers = jobHandlers(
    jobHandler(BUILD_REPORT_V1, (job, context) => this.#build(job, context)),
    jobHandler(EXPIRE_REPORTS_V1, () => this.expire()),
  );

  constructor(
    jobs: JobRunner,
    private readonly producer: JobProducer,
    private readonly requests: ReportRequests,
    private readonly builder: ReportBuilder,
    @InjectObjectStore() private readonly store: ObjectStore,
    @InjectConfig() private readonly config: TenkConfig,
    private readonly logger: PinoLogger,
  ) {
    super(jobs, QUEUES.report);
    this.logger.setContext('report-processor');
  }

  @Process(everyJobOf(QUEUES.report))
  process(job: Job): Promise<unknown> {
    return this.jobs.run(job, this.#handlers);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.producer.schedule(EXPIRE_REPORTS_V1, {}, { everyMs: this.config.reports.expirySweepMs, jobId: 'expire-reports' });
  }

  async onModuleDestroy(): Promise<void> {
    await this.jobs.drain(QUEUES.report, Math.max(0, this.config.runtime.shutdownGraceMs - 1_000));
  }

  /** Deletes the files of reports past their time to live; returns how many. */
  async expire(now = new Date()): Promise<{ expired: number }> {
    const due = await this.requests.findExpired(now, EXPIRE_BATCH);
    for (const request of due) {
      if (request.fileKey) await this.store.delete(request.fileKey);
      await this.requests.markExpired(request.id);
    }
    if (due.length > 0) this.logger.info({ expired: due.length }, 'expired report files deleted');
    return { expired: due.length };
  }

  async #build({ reportId }: BuildReportJobV1, context: JobContext): Promise<{ reportId: string; rows: number }> {
    const request = await this.requests.find(reportId);
    if (!request) throw new PermanentJobError(`report ${reportId} does not exist`);
    if (request.state === 'ready' || request.state === 'expired') return { reportId, rows: request.rowCount ?? 0 };
    await this.requests.markBuilding(reportId);
    try {
      const built = await this.builder.build(request);
      await this.requests.markReady(reportId, { ...built, expiresAt: new Date(Date.now() + this.config.reports.fileTtlMs) });
      await context.progress(100);
      this.logger.info({ reportId, type: request.type, rows: built.rowCount, bytes: built.bytes }, 'report ready');
      return { reportId, rows: built.rowCount };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      await this.requests
        .markRetrying(reportId, `attempt ${context.attempt} of ${context.maxAttempts} failed: ${reason}`)
        .catch((markError: unknown) => {
          this.logger.warn({ err: markError, reportId }, 'could not record the failed attempt');
        });
      throw error;
    }
  }

  protected override async onDeadLetter(dead: DeadJob): Promise<void> {
    if (dead.jobName !== BUILD_REPORT_V1.name) return;
    const { reportId } = BUILD_REPORT_V1.parse(dead.payload);
    await this.requests.markFailed(reportId, gaveUpReason(dead));
  }
}

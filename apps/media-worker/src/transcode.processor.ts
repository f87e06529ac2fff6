import { OnModuleDestroy } from '@nestjs/common';
import { Process, Processor } from '@nestjs/bull';
import type { Job } from 'bull';
import { PinoLogger } from 'nestjs-pino';
import { InjectConfig, type TenkConfig } from '@tenk/config';
import { QUEUES, VIDEO_TRANSCODE_V1, type VideoTranscodeJobV1 } from '@tenk/contracts';
import { isPermanentMediaError, VideoProcessor, VideoRepository } from '@tenk/media';
import {
  everyJobOf,
  gaveUpReason,
  jobHandler,
  jobHandlers,
  JobRunner,
  PermanentJobError,
  QueueProcessor,
  type DeadJob,
  type JobContext,
} from '@tenk/messaging';

/**
 * Consumes the Bull `video` queue: each job transcodes one uploaded video with libs/media's
 * VideoProcessor (the same code the api runs in the request when the `async` switch is off),
 * reporting ffmpeg's progress on the job, TENK_VIDEO_CONCURRENCY at a time. A failed run goes
 * back to the queue with backoff; after TENK_VIDEO_ATTEMPTS runs the job is dead-lettered and
 * the video marked failed with the reason. A worker killed mid-job loses nothing: once its lock
 * lapses, another worker (or this one, restarted) takes the job over as a stalled job.
 */
@Processor(QUEUES.video)
export class TranscodeProcessor extends QueueProcessor implements OnModuleDestroy {
  readonly #handlers = jobHandlers(jobHandler(VIDEO_TRANSCODE_V1, (job, context) => this.#transcode(job, context)));

  constructor(
    jobs: JobRunner,
    private readonly processor: VideoProcessor,
    private readonly videos: VideoRepository,
    @InjectConfig() private readonly config: TenkConfig,
    private readonly logger: PinoLogger,
  ) {
    super(jobs, QUEUES.video);
    this.logger.setContext('transcode-processor');
  }

  @Process(everyJobOf(QUEUES.video))
  process(job: Job): Promise<unknown> {
    return this.jobs.run(job, this.#handlers);
  }

  async onModuleDestroy(): Promise<void> {
    // Finish what runs within the grace period; anything longer is recovered as a stalled job.
    await this.jobs.drain(QUEUES.video, Math.max(0, this.config.runtime.shutdownGraceMs - 1_000));
  }

  async #transcode({ videoId }: VideoTranscodeJobV1, context: JobContext): Promise<{ videoId: string; renditions: string[] }> {
    try {
      const video = await this.processor.process(videoId, 'queued', {
        onProgress: (percent) => {
          context
            .progress(percent)
            .catch((error: unknown) => this.logger.warn({ err: error, videoId }, 'could not report progress on the job'));
        },
      });
      return { videoId, renditions: video.renditions.map((rendition) => rendition.name) };
    } catch (error) {
      if (isPermanentMediaError(error)) throw new PermanentJobError(error.message, { cause: error });
      const reason = error instanceof Error ? error.message : String(error);
      const next = context.attempt < context.maxAttempts ? '; retrying' : '';
      await this.videos
        .markRetrying(videoId, `attempt ${context.attempt} of ${context.maxAttempts} failed: ${reason}${next}`)
        .catch((markError: unknown) => {
          this.logger.warn({ err: markError, videoId }, 'could not record the failed attempt');
        });
      throw error;
    }
  }

  protected override async onDeadLetter(dead: DeadJob): Promise<void> {
    const { videoId } = VIDEO_TRANSCODE_V1.parse(dead.payload);
    await this.videos.markFailed(videoId, gaveUpReason(dead));
  }
}

import {
  BadRequestException,
  ConflictException,
  HttpException,
  Injectable,
  PayloadTooLargeException,
  ServiceUnavailableException,
  UnprocessableEntityException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import type { Counter } from 'prom-client';
import { formatByteSize, InjectConfig, type TenkConfig } from '@tenk/config';
import { VIDEO_TRANSCODE_V1 } from '@tenk/contracts';
import {
  isMediaError,
  VideoInspector,
  videoKeys,
  VideoProcessor,
  VideoRepository,
  type NewVideo,
  type ProcessingMode,
  type Video,
  type VideoProbe,
} from '@tenk/media';
import { isQueueUnavailableError, JobProducer } from '@tenk/messaging';
import { MetricsService } from '@tenk/observability';
import { InjectObjectStore, isStorageError, type ObjectStore } from '@tenk/storage';
import { SwitchesService } from '@tenk/switches';
import { UploadLimits, UploadLimitError } from './upload-limits';
import { receiveUpload } from './upload-receiver';

/**
 * POST /videos, behind the controller: check the client's rate and the customer's room
 * (UploadLimits), stream the upload into storage, prove with ffprobe it is a video we read
 * and within the cost limits, record it if it still fits the quota, then either enqueue a `video` job (the `async` switch on: answer at
 * once) or transcode inside the request (switch off: the "before queues" the lab measures).
 * Whatever fails, nothing half-made stays behind: no file, no row.
 */
@Injectable()
export class VideoUploads {
  readonly #uploads: Counter<'outcome'>; // queued | processed | too_large | not_video | unusable | failed | rate_limited | in_flight | over_quota

  constructor(
    @InjectConfig() private readonly config: TenkConfig,
    @InjectObjectStore() private readonly store: ObjectStore,
    private readonly inspector: VideoInspector,
    private readonly videos: VideoRepository,
    private readonly limits: UploadLimits,
    private readonly processor: VideoProcessor,
    private readonly jobs: JobProducer,
    private readonly switches: SwitchesService,
    private readonly logger: PinoLogger,
    metrics: MetricsService,
  ) {
    this.logger.setContext('video-uploads');
    this.#uploads = metrics.counter(
      'tenk_video_uploads_total',
      'Video uploads, by outcome (queued, processed in the request, refused and why)',
      ['outcome'],
    );
  }

  /** The size limit, as users read it (in error messages and the API docs). */
  get limit(): string {
    return formatByteSize(this.config.media.maxUploadBytes);
  }

  async accept(req: FastifyRequest, ownerId: string): Promise<{ video: Video; mode: ProcessingMode }> {
    const maxBytes = this.config.media.maxUploadBytes;
    const declared = Number(req.headers['content-length']);
    const multipart = /^multipart\//i.test(req.headers['content-type'] ?? '');
    if (Number.isFinite(declared) && declared > maxBytes + (multipart ? MULTIPART_OVERHEAD_BYTES : 0)) {
      this.#uploads.inc({ outcome: 'too_large' });
      throw this.#tooLarge();
    }
    const { usage, roomBytes } = await this.#limited(() =>
      this.limits.admit(req, ownerId, Number.isFinite(declared) && !multipart ? declared : null),
    );
    // Past the room left in the quota, the write fails as if past the size limit.
    const cap = Math.min(maxBytes, roomBytes);
    const id = randomUUID();
    const sourceKey = videoKeys.source(id);
    let received: Awaited<ReturnType<typeof receiveUpload>>;
    try {
      received = await receiveUpload(req.raw, this.store, sourceKey, cap);
    } catch (error) {
      await this.store.delete(sourceKey);
      if (isStorageError(error, 'too-large')) {
        const refusal = cap < maxBytes ? this.limits.quotaExceeded(usage, null) : this.#tooLarge();
        this.#uploads.inc({ outcome: refusal instanceof UploadLimitError ? refusal.outcome : 'too_large' });
        throw refusal;
      }
      if (error instanceof HttpException) throw error;
      if (req.raw.destroyed || (error as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE')
        throw new BadRequestException('the upload was cut off before it ended');
      throw error;
    }
    if (received.object.size === 0) {
      await this.store.delete(sourceKey);
      throw new BadRequestException('the upload is empty: send the video file as the body');
    }

    let probe: VideoProbe;
    try {
      probe = await this.store.withLocalFile(sourceKey, (file) => this.inspector.inspect(file));
    } catch (error) {
      await this.store.delete(sourceKey);
      if (isMediaError(error, 'not-a-video')) {
        this.#uploads.inc({ outcome: 'not_video' });
        throw new UnsupportedMediaTypeException(`${error.message}; upload a video file such as MP4, WebM or MOV`);
      }
      if (isMediaError(error, 'unusable-video')) {
        this.#uploads.inc({ outcome: 'unusable' });
        throw new UnprocessableEntityException(`this video cannot be accepted: ${error.message}`);
      }
      throw error;
    }

    const mode: ProcessingMode = this.switches.isOn('async') ? 'queued' : 'in-request';
    const video = await this.#record({
      id,
      ownerId,
      originalName: received.originalName,
      sourceKey,
      sourceBytes: received.object.size,
      probe,
      processingMode: mode,
    });
    this.logger.info(
      {
        videoId: id,
        ownerId,
        bytes: received.object.size,
        durationSeconds: probe.durationSeconds,
        size: `${probe.width}x${probe.height}`,
        mode,
      },
      'video uploaded',
    );
    return mode === 'queued' ? this.#enqueue(video) : this.#processNow(video);
  }

  /** Records the video if its owner still has room for it; otherwise (or on any failure) drops the source. */
  async #record(input: NewVideo): Promise<Video> {
    try {
      return await this.#limited(() => this.limits.record(input));
    } catch (error) {
      await this.store.delete(input.sourceKey);
      throw error;
    }
  }

  /** Runs a limit check, counting a refusal by its reason. */
  async #limited<T>(check: () => Promise<T>): Promise<T> {
    try {
      return await check();
    } catch (error) {
      if (error instanceof UploadLimitError) this.#uploads.inc({ outcome: error.outcome });
      throw error;
    }
  }

  async #enqueue(video: Video): Promise<{ video: Video; mode: ProcessingMode }> {
    try {
      await this.jobs.enqueue(VIDEO_TRANSCODE_V1, { videoId: video.id }, { jobId: video.id });
    } catch (error) {
      await this.#forget(video);
      if (isQueueUnavailableError(error)) {
        this.logger.error({ err: error, videoId: video.id }, 'could not queue a video: upload refused');
        throw new ServiceUnavailableException({
          message: `uploads are paused: ${error.message}; try again in a minute`,
          retryAfterSeconds: 30,
        });
      }
      throw error;
    }
    this.#uploads.inc({ outcome: 'queued' });
    return { video, mode: 'queued' };
  }

  /** The `async` switch is off: transcode here, holding the request (and its connection) until done. */
  async #processNow(video: Video): Promise<{ video: Video; mode: ProcessingMode }> {
    try {
      const ready = await this.processor.process(video.id, 'in-request');
      this.#uploads.inc({ outcome: 'processed' });
      return { video: ready, mode: 'in-request' };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      await this.videos.markFailed(video.id, reason);
      this.#uploads.inc({ outcome: 'failed' });
      throw new UnprocessableEntityException({ message: `the video could not be processed: ${reason}`, videoId: video.id });
    }
  }

  /**
   * Deletes a video and every file of it, freeing its room in the owner's quota. Not while it
   * is queued or processing: the worker would write files for a row that is gone.
   */
  async delete(video: Video): Promise<void> {
    const busy = () => new ConflictException(`video ${video.id} is being processed; delete it once it is ready or failed`);
    if (video.state === 'queued' || video.state === 'processing') throw busy();
    // Files first: if the row delete then fails, a retry finds the row and finishes the job.
    const files = await this.store.deletePrefix(videoKeys.prefix(video.id));
    if (!(await this.videos.deleteSettled(video.id))) throw busy();
    this.logger.info(
      { videoId: video.id, ownerId: video.ownerId, files, freedBytes: video.sourceBytes + video.filesBytes },
      'video deleted',
    );
  }

  async #forget(video: Video): Promise<void> {
    await Promise.allSettled([this.videos.delete(video.id), this.store.delete(video.sourceKey)]);
  }

  #tooLarge(): PayloadTooLargeException {
    return new PayloadTooLargeException(`the video is larger than the ${this.limit} upload limit (TENK_VIDEO_MAX_BYTES)`);
  }
}

/** A multipart body carries boundaries and part headers around the file: allow for them. */
const MULTIPART_OVERHEAD_BYTES = 16 * 1024;

import { Injectable } from '@nestjs/common';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PinoLogger } from 'nestjs-pino';
import type { Counter, Histogram } from 'prom-client';
import { InjectConfig, type TenkConfig } from '@tenk/config';
import { inSpan, MetricsService } from '@tenk/observability';
import { InjectObjectStore, type ObjectStore } from '@tenk/storage';
import { VideoNotFoundError } from './errors';
import { probeVideo } from './ffmpeg/probe';
import { transcode } from './ffmpeg/transcoder';
import { videoKeys } from './video-keys';
import { VideoRepository } from './video-repository';
import type { ProcessingMode, StoredRendition, Video } from './video.entity';

/** Progress is written to the database at most this often (and always at 100). */
const PROGRESS_WRITE_MS = 500;

export interface ProcessOptions {
  /** Also told every new percentage (the worker reports it on its Bull job). */
  onProgress?(percent: number): void;
  signal?: AbortSignal;
}

/**
 * Processes one uploaded video end to end: transcode its source (libs/media's transcoder),
 * store the renditions, HLS files and thumbnail, and record them on the video's row. The same
 * code runs in apps/media-worker (queued) and inside the upload request when the `async`
 * switch is off, which is what the lab compares.
 */
@Injectable()
export class VideoProcessor {
  readonly #seconds: Histogram<'mode' | 'outcome'>;
  readonly #processed: Counter<'mode' | 'outcome'>;

  constructor(
    private readonly videos: VideoRepository,
    @InjectObjectStore() private readonly store: ObjectStore,
    @InjectConfig() private readonly config: TenkConfig,
    private readonly logger: PinoLogger,
    metrics: MetricsService,
  ) {
    this.logger.setContext('video-processor');
    this.#seconds = metrics.histogram(
      'tenk_video_processing_seconds',
      'Time to transcode and store one video, by where it ran and outcome',
      ['mode', 'outcome'],
      [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600],
    );
    this.#processed = metrics.counter('tenk_videos_processed_total', 'Video processing runs, by where they ran and outcome', [
      'mode',
      'outcome',
    ]);
  }

  /**
   * Returns the ready video. A video already ready is returned as is (a duplicate or late
   * retry does no work twice). Throws VideoNotFoundError, NotAVideoError or UnusableVideoError
   * (the source is not a video we process: isPermanentMediaError), FfmpegError, storage errors.
   */
  async process(videoId: string, mode: ProcessingMode, options: ProcessOptions = {}): Promise<Video> {
    const video = await this.videos.find(videoId);
    if (!video) throw new VideoNotFoundError(videoId);
    if (video.state === 'ready') return video;
    const started = process.hrtime.bigint();
    await this.videos.markProcessing(videoId);
    const work = await mkdtemp(path.join(os.tmpdir(), `tenk-video-${videoId}-`));
    const progress = this.#progressWriter(videoId, options.onProgress);
    try {
      const { media } = this.config;
      const result = await this.store.withLocalFile(video.sourceKey, async (file) => {
        // The api probed this file at upload; check it again rather than trust the row: the
        // container read and the limits hold here even for a file that never went through it.
        const probe = await inSpan('ffprobe', { attributes: { 'tenk.video.id': videoId } }, async (span) => {
          const probed = await probeVideo(media.ffprobePath, file, media.limits);
          span.setAttributes({
            'tenk.video.container': probed.container.label,
            'tenk.video.duration_s': probed.durationSeconds,
            'tenk.video.width': probed.width,
            'tenk.video.height': probed.height,
          });
          return probed;
        });
        return inSpan('ffmpeg transcode', { attributes: { 'tenk.video.id': videoId, 'tenk.ffmpeg.preset': media.x264Preset } }, () =>
          transcode(
            {
              file,
              container: probe.container,
              durationSeconds: probe.durationSeconds,
              width: probe.width,
              height: probe.height,
              hasAudio: probe.hasAudio,
            },
            work,
            {
              ffmpegPath: media.ffmpegPath,
              threads: media.ffmpegThreads,
              preset: media.x264Preset,
              hls: media.hls,
              timeoutMs: media.transcodeTimeoutMs,
              maxDurationSeconds: media.limits.maxDurationSeconds,
              maxFrameRate: media.limits.maxFrameRate,
            },
            progress.report,
            options.signal,
          ),
        );
      });
      // Files of an earlier, failed run may linger (HLS segment counts differ): start clean.
      await this.store.deletePrefix(videoKeys.hlsPrefix(videoId));
      // Every byte stored is counted: the owner's storage quota includes it.
      let filesBytes = 0;
      const renditions: StoredRendition[] = [];
      for (const rendition of result.renditions) {
        const key = videoKeys.rendition(videoId, rendition.name);
        const stored = await inSpan(
          `store rendition ${rendition.name}`,
          {
            attributes: {
              'tenk.video.rendition': rendition.name,
              'tenk.video.width': rendition.width,
              'tenk.video.height': rendition.height,
            },
          },
          () => this.store.putFile(key, rendition.file),
        );
        filesBytes += stored.size;
        renditions.push({ name: rendition.name, key, width: rendition.width, height: rendition.height, bytes: stored.size });
      }
      let hlsKey: string | null = null;
      if (result.hls) {
        for (const file of result.hls.files)
          filesBytes += (await this.store.putFile(videoKeys.hlsFile(videoId, file), path.join(result.hls.dir, file))).size;
        hlsKey = videoKeys.hlsFile(videoId, 'master.m3u8');
      }
      const thumbnailKey = videoKeys.thumbnail(videoId);
      filesBytes += (await this.store.putFile(thumbnailKey, result.thumbnailFile)).size;
      await this.videos.markReady(videoId, { renditions, thumbnailKey, hlsKey, filesBytes });
      options.onProgress?.(100);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.#seconds.observe({ mode, outcome: 'ready' }, seconds);
      this.#processed.inc({ mode, outcome: 'ready' });
      this.logger.info(
        { videoId, mode, durationMs: Math.round(seconds * 1000), renditions: renditions.map((r) => r.name), hls: hlsKey !== null },
        'video ready',
      );
      return (await this.videos.find(videoId)) ?? video;
    } catch (error) {
      this.#seconds.observe({ mode, outcome: 'failed' }, Number(process.hrtime.bigint() - started) / 1e9);
      this.#processed.inc({ mode, outcome: 'failed' });
      throw error;
    } finally {
      progress.stop();
      await rm(work, { recursive: true, force: true });
    }
  }

  /** Forwards every percentage to the listener; writes the database at most every PROGRESS_WRITE_MS. */
  #progressWriter(
    videoId: string,
    listener: ((percent: number) => void) | undefined,
  ): { report: (percent: number) => void; stop: () => void } {
    let written = 0;
    let pending: number | undefined;
    let timer: NodeJS.Timeout | undefined;
    const write = (percent: number) => {
      written = Date.now();
      this.videos
        .updateProgress(videoId, percent)
        .catch((error: unknown) => this.logger.warn({ err: error, videoId }, 'could not record progress'));
    };
    return {
      report: (percent) => {
        listener?.(percent);
        if (Date.now() - written >= PROGRESS_WRITE_MS) {
          clearTimeout(timer);
          timer = undefined;
          write(percent);
          return;
        }
        pending = percent;
        timer ??= setTimeout(() => {
          timer = undefined;
          if (pending !== undefined) write(pending);
        }, PROGRESS_WRITE_MS);
      },
      stop: () => clearTimeout(timer),
    };
  }
}

import { EnvReader } from '../env-reader';
import { parseByteSize } from './byte-size';

export const X264_PRESETS = ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow'] as const;
export type X264Preset = (typeof X264_PRESETS)[number];

/** Video uploads and transcoding (apps/api accepts, libs/media and apps/media-worker transcode). */
export interface MediaConfig {
  /** The ffmpeg binary (Debian's package by default, found on PATH). */
  ffmpegPath: string;
  ffprobePath: string;
  /** Uploads larger than this are refused with 413 before or while they stream in. */
  maxUploadBytes: number;
  /** Videos longer than this are refused with 422 after ffprobe has read them. */
  maxDurationSeconds: number;
  /** Threads per ffmpeg run; 0 lets ffmpeg decide (one per core). */
  ffmpegThreads: number;
  /** x264 speed/size trade-off for the renditions. */
  x264Preset: X264Preset;
  /** Also write an HLS playlist (a remux of the MP4 renditions: no second encode). */
  hls: boolean;
  /** One transcode may take this long before its ffmpeg is killed and the attempt fails. */
  transcodeTimeoutMs: number;
}

export function readMedia(env: EnvReader): MediaConfig {
  const maxUpload = env.string('TENK_VIDEO_MAX_BYTES', '200MiB');
  const maxUploadBytes = parseByteSize(maxUpload);
  if (maxUploadBytes === undefined || maxUploadBytes < 1024) {
    env.problem('TENK_VIDEO_MAX_BYTES', maxUpload, 'expected a size of at least 1KiB such as 200MiB, 50MB or 1048576');
  }
  return {
    ffmpegPath: env.string('TENK_FFMPEG_PATH', 'ffmpeg'),
    ffprobePath: env.string('TENK_FFPROBE_PATH', 'ffprobe'),
    maxUploadBytes: maxUploadBytes ?? 200 * 1024 * 1024,
    maxDurationSeconds: Math.round(env.durationMs('TENK_VIDEO_MAX_DURATION', 10 * 60_000) / 1000),
    ffmpegThreads: env.int('TENK_FFMPEG_THREADS', 0, { min: 0, max: 64 }),
    x264Preset: env.oneOf('TENK_VIDEO_X264_PRESET', X264_PRESETS, 'veryfast'),
    hls: env.bool('TENK_VIDEO_HLS', true),
    transcodeTimeoutMs: env.durationMs('TENK_VIDEO_TRANSCODE_TIMEOUT', 15 * 60_000),
  };
}

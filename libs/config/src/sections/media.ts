import { EnvReader } from '../env-reader';
import { parseByteSize } from './byte-size';

export const X264_PRESETS = ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow'] as const;
export type X264Preset = (typeof X264_PRESETS)[number];

/**
 * What one video may cost to process, checked by ffprobe when it is uploaded and again by the
 * media-worker before it transcodes. Decoding work grows with duration x frame rate x picture
 * size, and every stream is opened: a few bytes of a hostile file can claim hours of 8K.
 */
export interface VideoLimits {
  /** Longer videos are refused (422). */
  maxDurationSeconds: number;
  /** The largest picture, landscape (`4096x2160`); a portrait video is measured turned. */
  maxPicture: { width: number; height: number };
  /** Average frames per second above this (1 % allowed for variable frame rates) are refused. */
  maxFrameRate: number;
  /** Streams of any kind in the file (video, audio, subtitles, data). */
  maxStreams: number;
}

/** Per-customer and per-client upload limits (apps/api; counters shared by every api instance). */
export interface UploadQuotas {
  /** Bytes a customer's videos may take in storage (sources and renditions): 413 past it. */
  storedBytes: number;
  /** Videos of one customer queued or processing at once: 429 past it. */
  inFlight: number;
  /** Upload requests from one client address within `windowMs`: 429 past it. */
  uploadsPerClient: number;
  windowMs: number;
}

/** Video uploads and transcoding (apps/api accepts, libs/media and apps/media-worker transcode). */
export interface MediaConfig {
  /** The ffmpeg binary (Debian's package by default, found on PATH). */
  ffmpegPath: string;
  ffprobePath: string;
  /** Uploads larger than this are refused with 413 before or while they stream in. */
  maxUploadBytes: number;
  limits: VideoLimits;
  quotas: UploadQuotas;
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
  return {
    ffmpegPath: env.string('TENK_FFMPEG_PATH', 'ffmpeg'),
    ffprobePath: env.string('TENK_FFPROBE_PATH', 'ffprobe'),
    maxUploadBytes: byteSize(env, 'TENK_VIDEO_MAX_BYTES', '200MiB'),
    limits: {
      maxDurationSeconds: Math.max(1, Math.round(env.durationMs('TENK_VIDEO_MAX_DURATION', 10 * 60_000) / 1000)),
      maxPicture: picture(env, 'TENK_VIDEO_MAX_RESOLUTION', '4096x2160'),
      maxFrameRate: env.int('TENK_VIDEO_MAX_FPS', 60, { min: 1, max: 1_000 }),
      maxStreams: env.int('TENK_VIDEO_MAX_STREAMS', 16, { min: 1, max: 1_000 }),
    },
    quotas: {
      storedBytes: byteSize(env, 'TENK_VIDEO_QUOTA_BYTES', '2GiB'),
      inFlight: env.int('TENK_VIDEO_MAX_IN_FLIGHT', 3, { min: 1, max: 10_000 }),
      uploadsPerClient: env.int('TENK_VIDEO_UPLOADS_PER_CLIENT', 30, { min: 1, max: 1_000_000 }),
      windowMs: env.durationMs('TENK_VIDEO_UPLOAD_WINDOW', 10 * 60_000),
    },
    ffmpegThreads: env.int('TENK_FFMPEG_THREADS', 0, { min: 0, max: 64 }),
    x264Preset: env.oneOf('TENK_VIDEO_X264_PRESET', X264_PRESETS, 'veryfast'),
    hls: env.bool('TENK_VIDEO_HLS', true),
    transcodeTimeoutMs: env.durationMs('TENK_VIDEO_TRANSCODE_TIMEOUT', 15 * 60_000),
  };
}

function byteSize(env: EnvReader, name: string, fallback: string): number {
  const raw = env.string(name, fallback);
  const bytes = parseByteSize(raw);
  if (bytes !== undefined && bytes >= 1024) return bytes;
  env.problem(name, raw, 'expected a size of at least 1KiB such as 200MiB, 50MB or 1048576');
  return parseByteSize(fallback) ?? 0;
}

/** `4096x2160` (either way round: kept landscape), each side 16 to 16384. */
function picture(env: EnvReader, name: string, fallback: string): { width: number; height: number } {
  const raw = env.string(name, fallback);
  const match = /^\s*(\d{2,5})\s*x\s*(\d{2,5})\s*$/i.exec(raw);
  const sides = match ? [Number(match[1]), Number(match[2])] : [];
  if (sides.length === 2 && sides.every((side) => side >= 16 && side <= 16_384))
    return { width: Math.max(...sides), height: Math.min(...sides) };
  env.problem(name, raw, 'expected WIDTHxHEIGHT such as 4096x2160 or 1920x1080, each side 16 to 16384');
  const [width, height] = fallback.split('x').map(Number);
  return { width, height };
}

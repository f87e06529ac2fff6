import { NotAVideoError, UnusableVideoError, isMediaError } from '../errors';
import { runTool } from './run-tool';

/** What ffprobe found in a file that really is a video. */
export interface VideoProbe {
  /** `mov,mp4,m4a,3gp,3g2,mj2`, `matroska,webm`, ... */
  formatName: string;
  videoCodec: string;
  durationSeconds: number;
  /** Frame size as displayed (rotation applied: a portrait phone video is taller than wide). */
  width: number;
  height: number;
  hasAudio: boolean;
}

export interface ProbeLimits {
  maxDurationSeconds: number;
}

interface FfprobeStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  duration?: string;
  disposition?: { attached_pic?: number; still_image?: number };
  tags?: { rotate?: string };
  side_data_list?: Array<{ rotation?: number }>;
}

interface FfprobeOutput {
  streams?: FfprobeStream[];
  format?: { format_name?: string; duration?: string };
}

/** Image demuxers: ffprobe reads a PNG or JPEG as a one-frame "video"; it is not one. */
const IMAGE_FORMAT = /(^|,)(image2|[a-z0-9]+_pipe|apng|gif_pipe|webp_pipe)(,|$)/;
const MAX_DIMENSION = 4_096;
const PROBE_TIMEOUT_MS = 30_000;

/**
 * Asks ffprobe what `file` is. Throws NotAVideoError (not media, audio only, a still image) or
 * UnusableVideoError (longer than allowed, too large a picture), each naming the reason.
 */
export async function probeVideo(ffprobePath: string, file: string, limits: ProbeLimits): Promise<VideoProbe> {
  let output: string;
  try {
    output = await runTool(ffprobePath, ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file], { timeoutMs: PROBE_TIMEOUT_MS });
  } catch (error) {
    if (isMediaError(error, 'ffmpeg-failed') && /could not run/.test(error.message)) throw error;
    // ffprobe names the file in its message: keep our storage paths out of what users read.
    const detail = isMediaError(error, 'ffmpeg-failed') ? error.message.split(': ').slice(1).join(': ') : String(error);
    const reason = detail.split(`${file}: `).join('').split(file).join('the file') || 'unreadable';
    throw new NotAVideoError(`ffprobe could not read it as media (${reason})`);
  }
  return describe(JSON.parse(output) as FfprobeOutput, limits);
}

/** The checks on ffprobe's JSON, separate so they are unit-testable. */
export function describe(output: FfprobeOutput, limits: ProbeLimits): VideoProbe {
  const formatName = output.format?.format_name ?? 'unknown';
  const streams = output.streams ?? [];
  const video = streams.find((stream) => stream.codec_type === 'video' && !stream.disposition?.attached_pic && !stream.disposition?.still_image);
  if (!video) {
    const audio = streams.some((stream) => stream.codec_type === 'audio');
    throw new NotAVideoError(audio ? `it has sound but no video stream (format ${formatName})` : `it has no video stream (format ${formatName})`);
  }
  if (IMAGE_FORMAT.test(formatName)) throw new NotAVideoError(`it is a still image (format ${formatName})`);
  const durationSeconds = Number(output.format?.duration ?? video.duration);
  if (!Number.isFinite(durationSeconds) || durationSeconds <= 0) throw new NotAVideoError(`it has no duration (format ${formatName}): a single frame or a broken file`);
  const width = video.width ?? 0;
  const height = video.height ?? 0;
  if (width < 16 || height < 16) throw new UnusableVideoError(`its picture is ${width}x${height}; the minimum is 16x16`);
  if (width > MAX_DIMENSION || height > MAX_DIMENSION) throw new UnusableVideoError(`its picture is ${width}x${height}; the maximum is ${MAX_DIMENSION}x${MAX_DIMENSION}`);
  if (durationSeconds > limits.maxDurationSeconds) {
    throw new UnusableVideoError(`it is ${formatDuration(durationSeconds)} long; the limit is ${formatDuration(limits.maxDurationSeconds)} (TENK_VIDEO_MAX_DURATION)`);
  }
  const rotation = Math.abs(Number(video.side_data_list?.find((data) => data.rotation !== undefined)?.rotation ?? video.tags?.rotate ?? 0)) % 180;
  const sideways = rotation === 90;
  return {
    formatName,
    videoCodec: video.codec_name ?? 'unknown',
    durationSeconds,
    width: sideways ? height : width,
    height: sideways ? width : height,
    hasAudio: streams.some((stream) => stream.codec_type === 'audio'),
  };
}

function formatDuration(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7_200) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3_600).toFixed(1)} h`;
}

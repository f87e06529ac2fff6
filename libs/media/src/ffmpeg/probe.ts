import type { VideoLimits } from '@tenk/config';
import { NotAVideoError, UnusableVideoError, isMediaError, type FfmpegError } from '../errors';
import { ALLOWED_CONTAINER_LABELS, containerOf, probeInput, refusedDemuxer, type VideoContainer } from './containers';
import { runTool } from './run-tool';

/** What ffprobe found in a file that really is a video we will process. */
export interface VideoProbe {
  /** `mov,mp4,m4a,3gp,3g2,mj2`, `matroska,webm`, `mpegts`: always one of VIDEO_CONTAINERS. */
  formatName: string;
  /** How ffmpeg must read it (its demuxer, forced). */
  container: VideoContainer;
  videoCodec: string;
  durationSeconds: number;
  /** Frame size as displayed (rotation applied: a portrait phone video is taller than wide). */
  width: number;
  height: number;
  /** Average frames per second. */
  frameRate: number;
  hasAudio: boolean;
}

interface FfprobeStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  duration?: string;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  disposition?: { attached_pic?: number; still_image?: number };
  tags?: { rotate?: string };
  side_data_list?: Array<{ rotation?: number }>;
}

interface FfprobeOutput {
  streams?: FfprobeStream[];
  format?: { format_name?: string; duration?: string; nb_streams?: number };
}

const MIN_SIDE = 16;
/** A variable frame rate averages a little above its nominal rate (60.3 for a 60 fps phone video). */
const FRAME_RATE_TOLERANCE = 1.01;
const PROBE_TIMEOUT_MS = 30_000;

/**
 * Asks ffprobe what `file` is, letting only the allowed containers' demuxers read it (see
 * containers.ts: a playlist or a list of other files is refused before anything it names is
 * opened). Throws NotAVideoError (not a video container, not media, audio only, a still image)
 * or UnusableVideoError (over one of `limits`), each naming the reason and the limit.
 */
export async function probeVideo(ffprobePath: string, file: string, limits: VideoLimits): Promise<VideoProbe> {
  let output: string;
  try {
    output = await runTool(ffprobePath, ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', ...probeInput(file)], {
      timeoutMs: PROBE_TIMEOUT_MS,
    });
  } catch (error) {
    if (!isMediaError(error, 'ffmpeg-failed') || /could not run|took longer/.test(error.message)) throw error;
    const demuxer = refusedDemuxer((error as FfmpegError).stderrTail);
    if (demuxer) throw new NotAVideoError(notAllowed(demuxer));
    // ffprobe names the file in its message: keep our storage paths out of what users read.
    const detail = error.message.split(': ').slice(1).join(': ');
    const reason = detail.split(`file:${file}: `).join('').split(`${file}: `).join('').split(file).join('the file') || 'unreadable';
    throw new NotAVideoError(`ffprobe could not read it as media (${reason})`);
  }
  return describe(JSON.parse(output) as FfprobeOutput, limits);
}

/** The checks on ffprobe's JSON, separate so they are unit-testable. */
export function describe(output: FfprobeOutput, limits: VideoLimits): VideoProbe {
  const formatName = output.format?.format_name ?? 'unknown';
  const container = containerOf(formatName);
  if (!container) throw new NotAVideoError(notAllowed(formatName));
  const streams = output.streams ?? [];
  const video = streams.find(
    (stream) => stream.codec_type === 'video' && !stream.disposition?.attached_pic && !stream.disposition?.still_image,
  );
  if (!video) {
    const audio = streams.some((stream) => stream.codec_type === 'audio');
    throw new NotAVideoError(
      audio ? `it has sound but no video stream (format ${formatName})` : `it has no video stream (format ${formatName})`,
    );
  }
  const streamCount = Math.max(streams.length, output.format?.nb_streams ?? 0);
  if (streamCount > limits.maxStreams)
    throw new UnusableVideoError(`it has ${streamCount} streams; the limit is ${limits.maxStreams} (TENK_VIDEO_MAX_STREAMS)`);
  const durationSeconds = Number(output.format?.duration ?? video.duration);
  if (!Number.isFinite(durationSeconds) || durationSeconds <= 0)
    throw new NotAVideoError(`it has no duration (format ${formatName}): a single frame or a broken file`);
  if (durationSeconds > limits.maxDurationSeconds) {
    throw new UnusableVideoError(
      `it is ${formatDuration(durationSeconds)} long; the limit is ${formatDuration(limits.maxDurationSeconds)} (TENK_VIDEO_MAX_DURATION)`,
    );
  }

  const rotation =
    Math.abs(Number(video.side_data_list?.find((data) => data.rotation !== undefined)?.rotation ?? video.tags?.rotate ?? 0)) % 180;
  const sideways = rotation === 90;
  const width = sideways ? (video.height ?? 0) : (video.width ?? 0);
  const height = sideways ? (video.width ?? 0) : (video.height ?? 0);
  if (width < MIN_SIDE || height < MIN_SIDE)
    throw new UnusableVideoError(`its picture is ${width}x${height}; the minimum is ${MIN_SIDE}x${MIN_SIDE}`);
  const { maxPicture } = limits;
  if (Math.max(width, height) > maxPicture.width || Math.min(width, height) > maxPicture.height) {
    throw new UnusableVideoError(
      `its picture is ${width}x${height}; the limit is ${maxPicture.width}x${maxPicture.height}, either way up (TENK_VIDEO_MAX_RESOLUTION)`,
    );
  }

  const frameRate = rate(video.avg_frame_rate) ?? rate(video.r_frame_rate);
  if (frameRate === undefined) throw new NotAVideoError(`its frame rate cannot be read (format ${formatName}): a broken file`);
  if (frameRate > limits.maxFrameRate * FRAME_RATE_TOLERANCE) {
    throw new UnusableVideoError(
      `it has ${formatRate(frameRate)} frames per second; the limit is ${limits.maxFrameRate} (TENK_VIDEO_MAX_FPS)`,
    );
  }
  return {
    formatName,
    container,
    videoCodec: video.codec_name ?? 'unknown',
    durationSeconds,
    width,
    height,
    frameRate,
    hasAudio: streams.some((stream) => stream.codec_type === 'audio'),
  };
}

function notAllowed(format: string): string {
  return `ffprobe reads it as "${format}", which is not a video container we accept (${ALLOWED_CONTAINER_LABELS}); playlists, lists of other files and images are refused`;
}

/** `30000/1001` -> 29.97; `0/0` (unknown) -> undefined. */
function rate(fraction: string | undefined): number | undefined {
  const [numerator, denominator] = (fraction ?? '').split('/').map(Number);
  const value = numerator / (denominator ?? 1);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

function formatRate(frameRate: number): string {
  return Number.isInteger(frameRate) ? String(frameRate) : frameRate.toFixed(2);
}

function formatDuration(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7_200) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3_600).toFixed(1)} h`;
}

import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { X264Preset } from '@tenk/config';
import { MP4_CONTAINER, transcodeInput, type VideoContainer } from './containers';
import { ProgressParser } from './progress-parser';
import { outputSize, planRenditions, scaleFilter } from './rendition-plan';
import { runTool } from './run-tool';

export interface TranscodeSource {
  file: string;
  /** What ffprobe found the file to be: ffmpeg reads it with that demuxer and no other. */
  container: VideoContainer;
  durationSeconds: number;
  width: number;
  height: number;
  hasAudio: boolean;
}

export interface TranscodeSettings {
  ffmpegPath: string;
  /** 0: ffmpeg decides. */
  threads: number;
  preset: X264Preset;
  hls: boolean;
  timeoutMs: number;
  /**
   * Hard bounds on the work, whatever the file's headers claimed: ffmpeg reads at most this
   * much of the source, and writes at most this many frames per second.
   */
  maxDurationSeconds: number;
  maxFrameRate: number;
}

export interface RenditionFile {
  name: string;
  file: string;
  width: number;
  height: number;
}

export interface TranscodeResult {
  renditions: RenditionFile[];
  thumbnailFile: string;
  /** The HLS folder (master.m3u8, one playlist and its segments per rendition), if made. */
  hls?: { dir: string; files: string[] };
}

/** Share of the progress bar each step gets: the encode is nearly all of the work. */
const ENCODE_SHARE = 90;
const HLS_DONE = 95;
const THUMBNAIL_DONE = 98;

/**
 * Turns a source video into H.264/AAC MP4 renditions (one ffmpeg run: decode once, scale and
 * encode each rung), an HLS playlist (a remux of those MP4s into segments: no second encode),
 * and a JPEG thumbnail, all in `workDir`. Keyframes every 2 s so HLS segments cut cleanly.
 * Every run reads its input with the demuxer of a known container and nothing else
 * (containers.ts). `onProgress` gets whole percentages, rising, from ffmpeg's own progress output.
 */
export async function transcode(
  source: TranscodeSource,
  workDir: string,
  settings: TranscodeSettings,
  onProgress: (percent: number) => void,
  signal?: AbortSignal,
): Promise<TranscodeResult> {
  const plan = planRenditions(source.width, source.height);
  const deadline = Date.now() + settings.timeoutMs;
  const remaining = () => Math.max(1_000, deadline - Date.now());

  const split = `[0:v]split=${plan.length}${plan.map((_, i) => `[s${i}]`).join('')}`;
  const scales = plan.map((rung, i) => `[s${i}]${scaleFilter(rung, source.width, source.height)}[v${i}]`);
  const input = ['-t', String(settings.maxDurationSeconds), ...transcodeInput(source.container, source.file)];
  const args = [
    '-hide_banner',
    '-nostdin',
    '-y',
    '-v',
    'error',
    '-progress',
    'pipe:1',
    '-nostats',
    ...input,
    '-filter_complex',
    [split, ...scales].join(';'),
  ];
  if (settings.threads > 0) args.push('-threads', String(settings.threads));
  const renditions: RenditionFile[] = [];
  plan.forEach((rung, i) => {
    const file = path.join(workDir, `${rung.name}.mp4`);
    args.push('-map', `[v${i}]`);
    if (source.hasAudio) args.push('-map', '0:a:0', '-c:a', 'aac', '-b:a', rung.audioBitrate, '-ac', '2');
    args.push(
      '-c:v',
      'libx264',
      '-preset',
      settings.preset,
      '-crf',
      String(rung.crf),
      '-profile:v',
      'main',
      '-pix_fmt',
      'yuv420p',
      '-fpsmax',
      String(settings.maxFrameRate),
      '-force_key_frames',
      'expr:gte(t,n_forced*2)',
      '-movflags',
      '+faststart',
      file,
    );
    renditions.push({ name: rung.name, file, ...outputSize(rung, source.width, source.height) });
  });
  const parser = new ProgressParser(source.durationSeconds, (percent) => onProgress(Math.floor((percent * ENCODE_SHARE) / 100)));
  await runTool(settings.ffmpegPath, args, { onStdout: (chunk) => parser.push(chunk), signal, timeoutMs: remaining() });
  onProgress(ENCODE_SHARE);

  let hls: TranscodeResult['hls'];
  if (settings.hls) {
    const dir = path.join(workDir, 'hls');
    await mkdir(dir, { recursive: true });
    const hlsArgs = ['-hide_banner', '-nostdin', '-y', '-v', 'error'];
    // Our own MP4s, read the same guarded way as any input.
    for (const rendition of renditions) hlsArgs.push(...transcodeInput(MP4_CONTAINER, rendition.file));
    renditions.forEach((_, i) => {
      hlsArgs.push('-map', `${i}:v`);
      if (source.hasAudio) hlsArgs.push('-map', `${i}:a`);
    });
    const streamMap = renditions
      .map((rendition, i) => (source.hasAudio ? `v:${i},a:${i},name:${rendition.name}` : `v:${i},name:${rendition.name}`))
      .join(' ');
    hlsArgs.push(
      '-c',
      'copy',
      '-f',
      'hls',
      '-hls_time',
      '4',
      '-hls_playlist_type',
      'vod',
      '-hls_segment_filename',
      path.join(dir, '%v_%05d.ts'),
      '-master_pl_name',
      'master.m3u8',
      '-var_stream_map',
      streamMap,
      path.join(dir, '%v.m3u8'),
    );
    await runTool(settings.ffmpegPath, hlsArgs, { signal, timeoutMs: remaining() });
    hls = { dir, files: (await readdir(dir)).sort() };
    onProgress(HLS_DONE);
  }

  const thumbnailFile = path.join(workDir, 'thumbnail.jpg');
  const at = Math.min(5, source.durationSeconds * 0.25).toFixed(2);
  await runTool(
    settings.ffmpegPath,
    [
      '-hide_banner',
      '-nostdin',
      '-y',
      '-v',
      'error',
      '-ss',
      at,
      ...transcodeInput(source.container, source.file),
      '-frames:v',
      '1',
      '-vf',
      scaleFilter(plan[0], source.width, source.height),
      '-q:v',
      '3',
      thumbnailFile,
    ],
    { signal, timeoutMs: remaining() },
  );
  onProgress(THUMBNAIL_DONE);
  return { renditions, thumbnailFile, ...(hls ? { hls } : {}) };
}

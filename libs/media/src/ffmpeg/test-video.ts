import { runTool } from './run-tool';

export interface TestVideoOptions {
  seconds: number;
  width?: number;
  height?: number;
  /** Frames per second (25 unless given). */
  frameRate?: number;
  /** A 440 Hz tone as the sound track. */
  audio?: boolean;
  ffmpegPath?: string;
}

/**
 * Writes a synthetic video with ffmpeg's `testsrc` pattern (moving counters, colour bars) to
 * `file`, as H.264/AAC (MP4, or MPEG-TS for a `.ts` name): what tests, the lab and load scenarios upload. Fast to make:
 * `ultrafast` preset, no network, no fixtures in the repository.
 */
export async function makeTestVideo(file: string, options: TestVideoOptions): Promise<string> {
  const { seconds, width = 1280, height = 720, frameRate = 25, audio = true, ffmpegPath = 'ffmpeg' } = options;
  const args = [
    '-hide_banner',
    '-nostdin',
    '-y',
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    `testsrc=size=${width}x${height}:rate=${frameRate}:duration=${seconds}`,
  ];
  if (audio) args.push('-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`, '-c:a', 'aac', '-shortest');
  args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', file);
  await runTool(ffmpegPath, args, { timeoutMs: 120_000 });
  return file;
}

/**
 * Real ffprobe and ffmpeg (Debian's package): what the upload check accepts and refuses, and
 * what a transcode writes, read back with ffprobe.
 */
import { mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { VideoLimits } from '@tenk/config';
import { isMediaError } from './errors';
import { containerOf, MP4_CONTAINER } from './ffmpeg/containers';
import { probeVideo } from './ffmpeg/probe';
import { runTool } from './ffmpeg/run-tool';
import { makeTestVideo } from './ffmpeg/test-video';
import { transcode, type TranscodeSettings } from './ffmpeg/transcoder';
import { hostileUploads } from './testing/hostile-uploads';

const limits: VideoLimits = { maxDurationSeconds: 600, maxPicture: { width: 4096, height: 2160 }, maxFrameRate: 60, maxStreams: 16 };
const settings: TranscodeSettings = {
  ffmpegPath: 'ffmpeg',
  threads: 1,
  preset: 'ultrafast',
  hls: false,
  timeoutMs: 60_000,
  maxDurationSeconds: 600,
  maxFrameRate: 60,
};
const REFUSED_CONTAINER =
  /^not a video: ffprobe reads it as "(\w+)", which is not a video container we accept \(MP4\/MOV, WebM\/Matroska or MPEG-TS\)/;
let dir: string;
/** A file on the "server" that an upload must never get read: a real video, so ffmpeg would happily transcode it. */
let secret: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'tenk-media-int-'));
  secret = await makeTestVideo(path.join(dir, 'someone-elses.ts'), { seconds: 2, width: 320, height: 240, audio: false });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface ProbedStream {
  codec_type: string;
  codec_name: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
}

async function streamsOf(file: string): Promise<ProbedStream[]> {
  return (
    JSON.parse(await runTool('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_streams', file])) as { streams: ProbedStream[] }
  ).streams;
}

async function durationOf(file: string): Promise<number> {
  return Number(await runTool('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file]));
}

function write(name: string, bytes: Buffer | string): string {
  const file = path.join(dir, name);
  writeFileSync(file, bytes);
  return file;
}

/**
 * Whether `work` read `file`: its access time is set far back first, and any read moves it
 * (the filesystem here is mounted relatime, which updates an access time older than the
 * modification time).
 */
async function reads(file: string, work: () => Promise<unknown>): Promise<boolean> {
  const past = new Date('2020-01-01T00:00:00Z');
  utimesSync(file, past, statSync(file).mtime);
  await work().catch(() => undefined);
  return statSync(file).atimeMs > past.getTime();
}

async function refusal(file: string, within: VideoLimits = limits): Promise<{ code: string; message: string }> {
  const error = await probeVideo('ffprobe', file, within).catch((caught: unknown) => caught);
  if (!isMediaError(error)) throw new Error(`expected a refusal, got ${JSON.stringify(error)}`);
  return { code: error.code, message: error.message };
}

describe('ffprobe upload check', () => {
  it('accepts a generated 5-second video and describes it', async () => {
    const file = await makeTestVideo(path.join(dir, 'probe.mp4'), { seconds: 5 });
    const probe = await probeVideo('ffprobe', file, limits);
    expect(probe).toMatchObject({ videoCodec: 'h264', width: 1280, height: 720, frameRate: 25, hasAudio: true, container: MP4_CONTAINER });
    expect(probe.durationSeconds).toBeCloseTo(5, 0);
  });

  it('accepts WebM and MPEG-TS too, each read as itself', async () => {
    const webm = path.join(dir, 'clip.webm');
    await runTool('ffmpeg', [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=320x240:rate=25:duration=1',
      '-c:v',
      'libvpx-vp9',
      '-deadline',
      'realtime',
      webm,
    ]);
    expect(await probeVideo('ffprobe', webm, limits)).toMatchObject({
      formatName: 'matroska,webm',
      videoCodec: 'vp9',
      container: containerOf('matroska,webm'),
    });
    expect(await probeVideo('ffprobe', secret, limits)).toMatchObject({ formatName: 'mpegts', container: containerOf('mpegts') });
  });

  it("refuses an HLS playlist naming a local file (the issue's 78-byte upload), before reading that file", async () => {
    const playlist = write('playlist.mp4', hostileUploads.hlsPlaylist(secret));
    // Without the allow-list, ffprobe reads it as a 2-second video: the secret file's.
    expect(await reads(secret, () => runTool('ffprobe', ['-v', 'error', '-show_format', playlist]))).toBe(true);
    expect(await reads(secret, () => probeVideo('ffprobe', playlist, limits))).toBe(false);
    expect(await refusal(playlist)).toMatchObject({ code: 'not-a-video', message: expect.stringMatching(REFUSED_CONTAINER) });
    expect((await refusal(playlist)).message).toContain('"hls"');
    expect((await refusal(playlist)).message).not.toContain(dir);
    const original = write('issue.mp4', hostileUploads.hlsPlaylist('/some/local/file.ts'));
    expect(statSync(original).size).toBe(78);
    expect((await refusal(original)).message).toContain('"hls"');
  });

  it('refuses a concat list naming another file, by absolute or relative name', async () => {
    for (const target of [secret, path.basename(secret)]) {
      const list = write('list.mp4', hostileUploads.concatList(target));
      expect(await reads(secret, () => probeVideo('ffprobe', list, limits))).toBe(false);
      expect(await refusal(list)).toEqual({ code: 'not-a-video', message: expect.stringMatching(REFUSED_CONTAINER) });
      expect((await refusal(list)).message).toContain('"concat"');
    }
  });

  it('refuses images, an animated GIF included (it has frames and a duration)', async () => {
    const png = path.join(dir, 'picture.mp4');
    await runTool('ffmpeg', [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=320x240',
      '-frames:v',
      '1',
      '-f',
      'image2',
      '-c:v',
      'png',
      png,
    ]);
    expect((await refusal(png)).message).toContain('"png_pipe"');
    const gif = path.join(dir, 'animation.mp4');
    await runTool('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10:duration=2', '-f', 'gif', gif]);
    expect(await refusal(gif)).toEqual({ code: 'not-a-video', message: expect.stringMatching(REFUSED_CONTAINER) });
    expect((await refusal(gif)).message).toContain('"gif"');
  });

  it('refuses a text file renamed .mp4, naming the reason without our paths', async () => {
    const file = write('notes.mp4', 'these are my notes, not a video\n'.repeat(100));
    const error = await refusal(file);
    expect(error.code).toBe('not-a-video');
    expect(error.message).toMatch(/^not a video: ffprobe could not read it as media \(.*Invalid data found when processing input\)$/);
    expect(error.message).not.toContain(dir);
  });

  it('refuses a video over each cost limit with 422 material naming the limit and the value', async () => {
    const long = await makeTestVideo(path.join(dir, 'long.mp4'), { seconds: 3, width: 160, height: 120, audio: false });
    expect(await refusal(long, { ...limits, maxDurationSeconds: 2 })).toEqual({
      code: 'unusable-video',
      message: 'it is 3 s long; the limit is 2 s (TENK_VIDEO_MAX_DURATION)',
    });

    const large = await makeTestVideo(path.join(dir, 'large.mp4'), { seconds: 1, width: 480, height: 640, audio: false });
    expect(await refusal(large, { ...limits, maxPicture: { width: 320, height: 240 } })).toEqual({
      code: 'unusable-video',
      message: 'its picture is 480x640; the limit is 320x240, either way up (TENK_VIDEO_MAX_RESOLUTION)',
    });

    const fast = await makeTestVideo(path.join(dir, 'fast.mp4'), { seconds: 1, width: 160, height: 120, frameRate: 120, audio: false });
    expect(await refusal(fast)).toEqual({
      code: 'unusable-video',
      message: 'it has 120 frames per second; the limit is 60 (TENK_VIDEO_MAX_FPS)',
    });

    const crowded = path.join(dir, 'crowded.mkv');
    const tracks = Array.from({ length: 5 }, () => ['-map', '1:a']).flat();
    await runTool('ffmpeg', [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=160x120:rate=25:duration=1',
      '-f',
      'lavfi',
      '-i',
      'sine=duration=1',
      '-map',
      '0:v',
      ...tracks,
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-c:a',
      'libopus',
      crowded,
    ]);
    expect(await refusal(crowded, { ...limits, maxStreams: 4 })).toEqual({
      code: 'unusable-video',
      message: 'it has 6 streams; the limit is 4 (TENK_VIDEO_MAX_STREAMS)',
    });
  });
});

describe('transcode', () => {
  it('writes 360p and 720p H.264 MP4s, an HLS playlist and a thumbnail, with progress rising to the end', async () => {
    const source = await makeTestVideo(path.join(dir, 'source.mp4'), { seconds: 5 });
    const work = mkdtempSync(path.join(dir, 'work-'));
    const progress: number[] = [];
    const result = await transcode(
      { file: source, container: MP4_CONTAINER, durationSeconds: 5, width: 1280, height: 720, hasAudio: true },
      work,
      { ...settings, threads: 0, hls: true, timeoutMs: 120_000 },
      (percent) => progress.push(percent),
    );

    expect(result.renditions.map((r) => [r.name, r.width, r.height])).toEqual([
      ['360p', 640, 360],
      ['720p', 1280, 720],
    ]);
    for (const rendition of result.renditions) {
      const streams = await streamsOf(rendition.file);
      expect(streams.find((s) => s.codec_type === 'video')).toMatchObject({
        codec_name: 'h264',
        width: rendition.width,
        height: rendition.height,
      });
      expect(streams.find((s) => s.codec_type === 'audio')).toMatchObject({ codec_name: 'aac' });
    }
    expect(result.hls?.files).toEqual(expect.arrayContaining(['master.m3u8', '360p.m3u8', '720p.m3u8', '360p_00000.ts', '720p_00000.ts']));
    expect((await streamsOf(result.thumbnailFile))[0]).toMatchObject({ codec_name: 'mjpeg', height: 360 });
    expect(statSync(result.thumbnailFile).size).toBeGreaterThan(1_000);

    // Rising, reported as ffmpeg works, ending at the last step before storage (98).
    expect(progress.length).toBeGreaterThan(3);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
    expect(progress.at(-1)).toBe(98);
    expect(readdirSync(work).sort()).toEqual(['360p.mp4', '720p.mp4', 'hls', 'thumbnail.jpg']);
  });

  it('makes only 360p from a small, silent source, and no HLS when switched off', async () => {
    const source = await makeTestVideo(path.join(dir, 'small.mp4'), { seconds: 2, width: 320, height: 240, audio: false });
    const work = mkdtempSync(path.join(dir, 'work-'));
    const result = await transcode(
      { file: source, container: MP4_CONTAINER, durationSeconds: 2, width: 320, height: 240, hasAudio: false },
      work,
      settings,
      () => undefined,
    );
    expect(result.renditions.map((r) => [r.name, r.width, r.height])).toEqual([['360p', 480, 360]]);
    expect(result.hls).toBeUndefined();
    expect((await streamsOf(result.renditions[0].file)).map((s) => s.codec_type)).toEqual(['video']);
  });

  it("fails with ffmpeg's own reason on a broken source, and stops when aborted", async () => {
    const broken = path.join(dir, 'broken.mp4');
    writeFileSync(broken, Buffer.alloc(10_000, 7));
    const work = mkdtempSync(path.join(dir, 'work-'));
    await expect(
      transcode(
        { file: broken, container: MP4_CONTAINER, durationSeconds: 5, width: 1280, height: 720, hasAudio: false },
        work,
        settings,
        () => undefined,
      ),
    ).rejects.toMatchObject({
      code: 'ffmpeg-failed',
      message: expect.stringMatching(/^ffmpeg failed \(exit \d+\): .+/),
    });
    const source = await makeTestVideo(path.join(dir, 'abort.mp4'), { seconds: 20, audio: false });
    const controller = new AbortController();
    const running = transcode(
      { file: source, container: MP4_CONTAINER, durationSeconds: 20, width: 1280, height: 720, hasAudio: false },
      work,
      settings,
      (percent) => {
        if (percent >= 1) controller.abort(new Error('worker shutting down'));
      },
      controller.signal,
    );
    await expect(running).rejects.toThrow('ffmpeg stopped: worker shutting down');
  });

  it('reads the source only as the container it was found to be: a playlist passed off as MP4 fails, nothing of its target is written', async () => {
    const playlist = write('sneaky.mp4', hostileUploads.hlsPlaylist(secret));
    const work = mkdtempSync(path.join(dir, 'work-'));
    const source = { file: playlist, container: MP4_CONTAINER, durationSeconds: 2, width: 320, height: 240, hasAudio: false };
    const run = transcode(source, work, settings, () => undefined);
    await expect(run).rejects.toMatchObject({ code: 'ffmpeg-failed', message: expect.stringMatching(/^ffmpeg failed \(exit \d+\): /) });
    expect(await reads(secret, () => transcode(source, work, settings, () => undefined))).toBe(false);
    expect(readdirSync(work).filter((name) => statSync(path.join(work, name)).size > 0)).toEqual([]);
  });

  it('bounds the work whatever the headers claim: at most maxDurationSeconds read, maxFrameRate written', async () => {
    const fast = await makeTestVideo(path.join(dir, 'fast-long.mp4'), {
      seconds: 3,
      width: 160,
      height: 120,
      frameRate: 120,
      audio: false,
    });
    const work = mkdtempSync(path.join(dir, 'work-'));
    const source = { file: fast, container: MP4_CONTAINER, durationSeconds: 3, width: 160, height: 120, hasAudio: false };
    const result = await transcode(source, work, { ...settings, maxDurationSeconds: 1, maxFrameRate: 30 }, () => undefined);
    const [video] = await streamsOf(result.renditions[0].file);
    expect(video.avg_frame_rate).toBe('30/1');
    expect(await durationOf(result.renditions[0].file)).toBeLessThan(1.2);
  });
});

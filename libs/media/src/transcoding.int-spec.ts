/**
 * Real ffprobe and ffmpeg (Debian's package): what the upload check accepts and refuses, and
 * what a transcode writes, read back with ffprobe.
 */
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isMediaError } from './errors';
import { probeVideo } from './ffmpeg/probe';
import { runTool } from './ffmpeg/run-tool';
import { makeTestVideo } from './ffmpeg/test-video';
import { transcode } from './ffmpeg/transcoder';

const limits = { maxDurationSeconds: 600 };
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'tenk-media-int-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function streamsOf(file: string): Promise<Array<{ codec_type: string; codec_name: string; width?: number; height?: number }>> {
  return (JSON.parse(await runTool('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_streams', file])) as { streams: Array<{ codec_type: string; codec_name: string; width?: number; height?: number }> }).streams;
}

describe('ffprobe upload check', () => {
  it('accepts a generated 5-second video and describes it', async () => {
    const file = await makeTestVideo(path.join(dir, 'probe.mp4'), { seconds: 5 });
    const probe = await probeVideo('ffprobe', file, limits);
    expect(probe).toMatchObject({ videoCodec: 'h264', width: 1280, height: 720, hasAudio: true });
    expect(probe.durationSeconds).toBeCloseTo(5, 0);
  });

  it('refuses a text file renamed .mp4, naming the reason without our paths', async () => {
    const file = path.join(dir, 'notes.mp4');
    writeFileSync(file, 'these are my notes, not a video\n'.repeat(100));
    const error = await probeVideo('ffprobe', file, limits).catch((caught: unknown) => caught);
    expect(isMediaError(error, 'not-a-video')).toBe(true);
    expect((error as Error).message).toMatch(/^not a video: ffprobe could not read it as media \(.*Invalid data found when processing input\)$/);
    expect((error as Error).message).not.toContain(dir);
  });

  it('refuses a PNG renamed .mp4 as a still image', async () => {
    const file = path.join(dir, 'picture.mp4');
    await runTool('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=320x240', '-frames:v', '1', '-f', 'image2', '-c:v', 'png', file]);
    await expect(probeVideo('ffprobe', file, limits)).rejects.toThrow('not a video: it is a still image (format png_pipe)');
  });

  it('refuses a video longer than the limit with 422 material', async () => {
    const file = await makeTestVideo(path.join(dir, 'long.mp4'), { seconds: 3, width: 160, height: 120, audio: false });
    await expect(probeVideo('ffprobe', file, { maxDurationSeconds: 2 })).rejects.toMatchObject({ code: 'unusable-video', message: 'it is 3 s long; the limit is 2 s (TENK_VIDEO_MAX_DURATION)' });
  });
});

describe('transcode', () => {
  it('writes 360p and 720p H.264 MP4s, an HLS playlist and a thumbnail, with progress rising to the end', async () => {
    const source = await makeTestVideo(path.join(dir, 'source.mp4'), { seconds: 5 });
    const work = mkdtempSync(path.join(dir, 'work-'));
    const progress: number[] = [];
    const result = await transcode(
      { file: source, durationSeconds: 5, width: 1280, height: 720, hasAudio: true },
      work,
      { ffmpegPath: 'ffmpeg', threads: 0, preset: 'ultrafast', hls: true, timeoutMs: 120_000 },
      (percent) => progress.push(percent),
    );

    expect(result.renditions.map((r) => [r.name, r.width, r.height])).toEqual([
      ['360p', 640, 360],
      ['720p', 1280, 720],
    ]);
    for (const rendition of result.renditions) {
      const streams = await streamsOf(rendition.file);
      expect(streams.find((s) => s.codec_type === 'video')).toMatchObject({ codec_name: 'h264', width: rendition.width, height: rendition.height });
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
    const result = await transcode({ file: source, durationSeconds: 2, width: 320, height: 240, hasAudio: false }, work, { ffmpegPath: 'ffmpeg', threads: 1, preset: 'ultrafast', hls: false, timeoutMs: 60_000 }, () => undefined);
    expect(result.renditions.map((r) => [r.name, r.width, r.height])).toEqual([['360p', 480, 360]]);
    expect(result.hls).toBeUndefined();
    expect((await streamsOf(result.renditions[0].file)).map((s) => s.codec_type)).toEqual(['video']);
  });

  it('fails with ffmpeg\'s own reason on a broken source, and stops when aborted', async () => {
    const broken = path.join(dir, 'broken.mp4');
    writeFileSync(broken, Buffer.alloc(10_000, 7));
    const work = mkdtempSync(path.join(dir, 'work-'));
    const settings = { ffmpegPath: 'ffmpeg', threads: 1, preset: 'ultrafast' as const, hls: false, timeoutMs: 60_000 };
    await expect(transcode({ file: broken, durationSeconds: 5, width: 1280, height: 720, hasAudio: false }, work, settings, () => undefined)).rejects.toMatchObject({
      code: 'ffmpeg-failed',
      message: expect.stringMatching(/^ffmpeg failed \(exit \d+\): .+/),
    });
    const source = await makeTestVideo(path.join(dir, 'abort.mp4'), { seconds: 20, audio: false });
    const controller = new AbortController();
    const running = transcode({ file: source, durationSeconds: 20, width: 1280, height: 720, hasAudio: false }, work, settings, (percent) => {
      if (percent >= 1) controller.abort(new Error('worker shutting down'));
    }, controller.signal);
    await expect(running).rejects.toThrow('ffmpeg stopped: worker shutting down');
  });
});

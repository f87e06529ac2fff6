/**
 * The media-worker as it runs: a separate process (started from source) consuming the `video`
 * queue on the real queue Redis (under a queue prefix of its own, so the shop's workers never
 * see these jobs), writing to the real catalog database, transcoding with real ffmpeg.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import Queue from 'bull';
import type { DataSource } from 'typeorm';
import { loadConfig, redisConnection, type TenkConfig } from '@tenk/config';
import { QUEUES, VIDEO_TRANSCODE_V1 } from '@tenk/contracts';
import { createCatalogDataSource } from '@tenk/database';
import { hostileUploads, makeTestVideo, probeVideo, Video, videoKeys, type VideoProbe } from '@tenk/media';
import { DEAD_LETTER_QUEUE, queueOptions } from '@tenk/messaging';
import { LocalObjectStore } from '@tenk/storage';
import { eventually, freePort, uniqueName } from '@tenk/testing';

const ROOT = path.resolve(__dirname, '../../..');
jest.setTimeout(180_000);

const prefix = uniqueName('tenk_test_media');
const storageDir = mkdtempSync(path.join(os.tmpdir(), 'tenk-media-worker-int-'));
/** Short locks so a killed worker's job is taken over in seconds, not the default 30 s. */
const WORKER_ENV: Record<string, string> = {
  TENK_QUEUE_PREFIX: prefix,
  TENK_STORAGE_DIR: storageDir,
  TENK_QUEUE_LOCK_DURATION: '3s',
  TENK_QUEUE_STALLED_INTERVAL: '1s',
  TENK_VIDEO_ATTEMPTS: '2',
  TENK_VIDEO_BACKOFF: '200ms',
  TENK_VIDEO_CONCURRENCY: '1',
  TENK_LOG_LEVEL: 'warn',
};
const config: TenkConfig = loadConfig({ ...process.env, ...WORKER_ENV });
const store = new LocalObjectStore(storageDir);
let db: DataSource;
let videoQueue: Queue.Queue;
let deadLetters: Queue.Queue;
const ownerId = randomUUID();
const workers: ChildProcess[] = [];

/** A queue handle as the api opens it: same prefix, same default job options. */
function openQueue(name: typeof QUEUES.video | typeof DEAD_LETTER_QUEUE): Queue.Queue {
  const { defaultJobOptions, settings } = queueOptions(name, config);
  return new Queue(name, { prefix, redis: redisConnection(config.redis.queue), defaultJobOptions, settings });
}

async function startWorker(): Promise<ChildProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['-r', path.join(ROOT, 'tools/register.cjs'), path.join(ROOT, 'apps/media-worker/src/main.ts')], {
    env: { ...process.env, ...WORKER_ENV, TENK_MEDIA_WORKER_PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  workers.push(child);
  await eventually(
    async () => (await fetch(`http://127.0.0.1:${port}/health/ready`)).status === 200,
    'the media-worker never became ready',
    60_000,
    250,
  );
  return child;
}

async function stopWorker(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}

/** A video row and its source in storage, as POST /videos leaves them. */
async function uploadedVideo(source: Buffer | string, probe: VideoProbe): Promise<string> {
  const id = randomUUID();
  const body = typeof source === 'string' ? createReadStream(source) : Readable.from([source]);
  const stored = await store.put(videoKeys.source(id), body);
  await db.getRepository(Video).insert({
    id,
    ownerId,
    state: 'queued',
    progress: 0,
    originalName: null,
    sourceKey: videoKeys.source(id),
    sourceBytes: stored.size,
    formatName: probe.formatName,
    videoCodec: probe.videoCodec,
    durationMs: Math.round(probe.durationSeconds * 1000),
    width: probe.width,
    height: probe.height,
    hasAudio: probe.hasAudio,
    renditions: [],
    thumbnailKey: null,
    hlsKey: null,
    processingMode: 'queued',
    attempts: 0,
    error: null,
    readyAt: null,
  });
  return id;
}

/** A copy of `file` (an MP4 with its index first) whose sample data is all zeros. */
function zeroedFrames(file: string): Buffer {
  const bytes = readFileSync(file);
  bytes.fill(0, bytes.indexOf('mdat') + 4);
  return bytes;
}

function videoRow(id: string): Promise<Video | null> {
  return db.getRepository(Video).findOneBy({ id });
}

function childPids(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return []; // pgrep exits 1 when there are none
  }
}

/** Running, not merely a zombie waiting for a parent that does not reap (PID 1 in some containers). */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

beforeAll(async () => {
  db = createCatalogDataSource(config, 'primary', [Video], 'media-worker-int');
  await db.initialize();
  videoQueue = openQueue(QUEUES.video);
  deadLetters = openQueue(DEAD_LETTER_QUEUE);
});

afterAll(async () => {
  await Promise.all(workers.map((child) => stopWorker(child, 'SIGKILL')));
  await db.getRepository(Video).delete({ ownerId });
  await db.destroy();
  for (const queue of [videoQueue, deadLetters]) {
    await queue.obliterate({ force: true });
    await queue.close();
  }
  rmSync(storageDir, { recursive: true, force: true });
});

describe('media-worker', () => {
  let worker: ChildProcess;
  let fiveSeconds: string;
  let fiveSecondsProbe: VideoProbe;

  beforeAll(async () => {
    fiveSeconds = await makeTestVideo(path.join(storageDir, 'five-seconds.mp4'), { seconds: 5 });
    fiveSecondsProbe = await probeVideo('ffprobe', fiveSeconds, config.media.limits);
    worker = await startWorker();
  });
  afterAll(async () => {
    await stopWorker(worker);
  });

  it('transcodes a queued video: renditions and thumbnail appear, progress rises to 100', async () => {
    const videoId = await uploadedVideo(fiveSeconds, fiveSecondsProbe);
    const progress: number[] = [];
    const onProgress = (jobId: string, value: number) => {
      if (jobId === videoId) progress.push(value);
    };
    videoQueue.on('global:progress', onProgress);
    const job = await videoQueue.add(VIDEO_TRANSCODE_V1.name, { videoId }, { jobId: videoId });
    const result = (await job.finished()) as { renditions: string[] };
    videoQueue.off('global:progress', onProgress);

    expect(result.renditions).toEqual(['360p', '720p']);
    const video = await videoRow(videoId);
    expect(video).toMatchObject({ state: 'ready', progress: 100, attempts: 1, error: null });
    for (const key of [...video!.renditions.map((r) => r.key), video!.thumbnailKey!, video!.hlsKey!])
      expect(await store.stat(key)).toBeDefined();
    await eventually(() => progress.at(-1) === 100, 'the job never reported 100%');
    expect(progress.length).toBeGreaterThan(3);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
  });

  it('dead-letters a job that fails every time, with the reason, after the configured attempts', async () => {
    // Headers of a real MP4 (ffprobe is satisfied), every frame zeroed: only decoding fails.
    const videoId = await uploadedVideo(zeroedFrames(fiveSeconds), fiveSecondsProbe);
    const job = await videoQueue.add(VIDEO_TRANSCODE_V1.name, { videoId }, { jobId: videoId });
    await expect(job.finished()).rejects.toThrow(/^ffmpeg failed/);

    const dead = await eventually(
      async () => (await deadLetters.getJob(`${QUEUES.video}:${videoId}`)) ?? undefined,
      'no dead letter was written',
    );
    expect(dead.name).toBe(`${QUEUES.video}:${VIDEO_TRANSCODE_V1.name}`);
    expect(dead.data).toMatchObject({
      queue: QUEUES.video,
      jobName: VIDEO_TRANSCODE_V1.name,
      jobId: videoId,
      payload: { videoId },
      attempts: 2,
      reason: expect.stringMatching(/^ffmpeg failed \(exit \d+\): .+/),
    });
    expect(await (await videoQueue.getJob(videoId))!.getState()).toBe('failed');
    const video = await eventually(async () => {
      const row = await videoRow(videoId);
      return row?.state === 'failed' ? row : undefined;
    }, 'the video was never marked failed');
    expect(video.attempts).toBe(2);
    expect(video.error).toMatch(/^ffmpeg failed .*\(gave up after 2 attempts\)$/);
  });

  it('refuses at once a source that is not a video container, even one the api never probed, and reads nothing it names', async () => {
    // Someone else's file on this host, and a row that says the upload was an MP4.
    const secret = await makeTestVideo(path.join(storageDir, 'someone-elses.ts'), { seconds: 2, width: 320, height: 240, audio: false });
    const past = new Date('2020-01-01T00:00:00Z');
    utimesSync(secret, past, statSync(secret).mtime);
    const videoId = await uploadedVideo(hostileUploads.hlsPlaylist(secret), fiveSecondsProbe);
    const job = await videoQueue.add(VIDEO_TRANSCODE_V1.name, { videoId }, { jobId: videoId });
    await expect(job.finished()).rejects.toThrow(/^not a video: ffprobe reads it as "hls", which is not a video container we accept/);

    const dead = await eventually(
      async () => (await deadLetters.getJob(`${QUEUES.video}:${videoId}`)) ?? undefined,
      'no dead letter was written',
    );
    expect(dead.data).toMatchObject({ attempts: 1 });
    const video = await eventually(async () => {
      const row = await videoRow(videoId);
      return row?.state === 'failed' ? row : undefined;
    }, 'the video was never marked failed');
    expect(video).toMatchObject({ attempts: 1, renditions: [], thumbnailKey: null });
    for (const key of [videoKeys.rendition(videoId, '360p'), videoKeys.thumbnail(videoId), videoKeys.hlsFile(videoId, 'master.m3u8')])
      expect(await store.stat(key)).toBeUndefined();
    expect(statSync(secret).atimeMs).toBe(past.getTime());
  });

  it('dead-letters at once a job whose video does not exist (a permanent error: no retries)', async () => {
    const videoId = randomUUID();
    const job = await videoQueue.add(VIDEO_TRANSCODE_V1.name, { videoId }, { jobId: videoId });
    await expect(job.finished()).rejects.toThrow(`video ${videoId} does not exist`);
    const dead = await eventually(
      async () => (await deadLetters.getJob(`${QUEUES.video}:${videoId}`)) ?? undefined,
      'no dead letter was written',
    );
    expect(dead.data).toMatchObject({ attempts: 1 });
  });
});

describe('a media-worker killed mid-job', () => {
  it('loses nothing: the job is taken over after a restart and completes', async () => {
    const longer = await makeTestVideo(path.join(storageDir, 'twenty-seconds.mp4'), { seconds: 20, audio: false });
    const videoId = await uploadedVideo(longer, await probeVideo('ffprobe', longer, config.media.limits));
    const first = await startWorker();
    const stalled: string[] = [];
    videoQueue.on('global:stalled', (jobId: string) => stalled.push(jobId));
    let progressed = false;
    videoQueue.on('global:progress', (jobId: string, value: number) => {
      if (jobId === videoId && value >= 5) progressed = true;
    });
    const job = await videoQueue.add(VIDEO_TRANSCODE_V1.name, { videoId }, { jobId: videoId });

    await eventually(() => progressed, 'the first worker never got going', 60_000);
    const ffmpegs = childPids(first.pid!);
    expect(ffmpegs.length).toBeGreaterThan(0);
    await stopWorker(first, 'SIGKILL');
    // Its ffmpeg does not outlive it (SIGPIPE on the next progress write into the dead pipe).
    await eventually(() => ffmpegs.every((pid) => !isAlive(pid)), 'ffmpeg outlived its killed worker', 30_000);
    expect(await job.getState()).toBe('active');

    const second = await startWorker();
    const result = (await job.finished()) as { renditions: string[] };
    expect(result.renditions).toEqual(['360p', '720p']);
    expect(stalled).toContain(videoId);
    const finished = await videoQueue.getJob(videoId);
    expect(finished!.attemptsMade).toBe(0); // a stall is not a failed attempt
    expect(await videoRow(videoId)).toMatchObject({ state: 'ready', progress: 100, attempts: 2 });
    await stopWorker(second);
  });
});

/**
 * POST /videos and DELETE /videos/:id over HTTP, against the real catalog database, the real
 * queue Redis (a queue prefix of this test's own: no worker takes its jobs), real ffprobe and a
 * storage folder of its own: what is refused and why, and that a refusal keeps nothing (no
 * file, no row, no job). The limits are lowered so each can be reached with small videos.
 */
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import Queue from 'bull';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import { User } from '@tenk/accounts';
import { ConfigModule, loadConfig, redisConnection, type TenkConfig } from '@tenk/config';
import { QUEUES } from '@tenk/contracts';
import { createCatalogDataSource, DatabaseModule } from '@tenk/database';
import { hostileUploads, makeTestVideo, Video } from '@tenk/media';
import { MessagingModule, queueOptions } from '@tenk/messaging';
import { ObservabilityModule, createHttpAdapter } from '@tenk/observability';
import { StorageModule } from '@tenk/storage';
import { SwitchesModule } from '@tenk/switches';
import { uniqueName } from '@tenk/testing';
import { AuthModule } from '../auth/auth.module';
import { configureHttp } from '../configure-http';
import { ErrorsModule } from '../errors/errors.module';
import { isolatedEnv, ShopClient } from '../orders/testing/orders-test-app';
import { VideosModule } from './videos.module';

jest.setTimeout(120_000);

const work = mkdtempSync(path.join(os.tmpdir(), 'tenk-videos-int-'));
const storageDir = path.join(work, 'storage');
/** A fresh address in the IPv6 documentation range: each test counts against its own client rate. */
const newClient = () => `2001:db8:${randomBytes(2).toString('hex')}::${randomBytes(2).toString('hex')}`;

interface VideoView {
  id: string;
  url: string;
  state: string;
  message?: string;
}

let config: TenkConfig;
let apps: INestApplication[] = [];
let urls: string[] = [];
let db: DataSource;
let videoQueue: Queue.Queue;
/** A 2-second 320x240 video with sound; and a 1-second 64x48 one, less than half its size. */
let clip: Buffer;
let small: Buffer;
const owners: string[] = [];

async function startApi(): Promise<{ app: INestApplication; url: string }> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      ConfigModule.forRoot(config),
      ObservabilityModule.forRoot({ service: 'videos-int-spec' }),
      DatabaseModule.forRoot({ processName: 'videos-int-spec', catalogEntities: [User, Video] }),
      MessagingModule.forRoot({ queues: [QUEUES.video, QUEUES.mail], kafka: false, queueRedisCritical: false }),
      SwitchesModule,
      StorageModule.forRoot({ critical: false }),
      ErrorsModule,
      AuthModule,
      VideosModule,
    ],
  }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(
    createHttpAdapter({ trustedProxies: config.runtime.trustedProxies }),
    { logger: false },
  );
  configureHttp(app, config);
  await app.listen(0, '127.0.0.1');
  return { app, url: (await app.getUrl()).replace('[::1]', '127.0.0.1') };
}

/** A signed-up customer. */
async function customer(url = urls[0]): Promise<{ client: ShopClient; id: string }> {
  const client = new ShopClient(url);
  const { id } = await client.signUp(`${uniqueName('uploader')}@example.com`);
  owners.push(id);
  return { client, id };
}

/** POST /videos from `address`, a fresh one unless given: only the rate test shares one. */
function upload(who: { client: ShopClient }, raw: Uint8Array | FormData, address = newClient()) {
  const headers: Record<string, string> = { 'x-forwarded-for': address };
  if (!(raw instanceof FormData)) headers['content-type'] = 'video/mp4';
  return who.client.request('POST', '/videos', { raw, headers }) as Promise<{
    status: number;
    headers: Headers;
    body: VideoView & Record<string, unknown>;
  }>;
}

/** Upload folders in storage, rows and queued jobs: what "nothing kept" is checked against. */
async function kept(ownerId: string): Promise<{ folders: number; rows: number; jobs: number }> {
  const folder = path.join(storageDir, 'videos');
  const folders = existsSync(folder) ? readdirSync(folder).length : 0;
  const rows = await db.getRepository(Video).countBy({ ownerId });
  const jobs = (await videoQueue.getJobs(['waiting', 'delayed', 'active'])).filter(Boolean).length;
  return { folders, rows, jobs };
}

async function setState(videoId: string, state: 'ready' | 'failed'): Promise<void> {
  await db.getRepository(Video).update({ id: videoId }, { state, progress: state === 'ready' ? 100 : 0 });
}

beforeAll(async () => {
  clip = readFileSync(await makeTestVideo(path.join(work, 'clip.mp4'), { seconds: 2, width: 320, height: 240 }));
  small = readFileSync(await makeTestVideo(path.join(work, 'small.mp4'), { seconds: 1, width: 64, height: 48, audio: false }));
  expect(small.length).toBeLessThan(clip.length / 2);
  config = loadConfig({
    ...process.env,
    ...isolatedEnv('videos'),
    TENK_STORAGE_DIR: storageDir,
    TENK_LOG_LEVEL: 'silent',
    TENK_VIDEO_MAX_DURATION: '4s',
    TENK_VIDEO_MAX_RESOLUTION: '640x480',
    TENK_VIDEO_MAX_IN_FLIGHT: '2',
    // Room for two clips and a half.
    TENK_VIDEO_QUOTA_BYTES: String(Math.floor(clip.length * 2.5)),
    TENK_VIDEO_UPLOADS_PER_CLIENT: '4',
    TENK_VIDEO_UPLOAD_WINDOW: '10m',
  });
  const started = await Promise.all([startApi(), startApi()]);
  apps = started.map((s) => s.app);
  urls = started.map((s) => s.url);
  db = createCatalogDataSource(config, 'primary', [Video], 'videos-int-spec');
  await db.initialize();
  const { defaultJobOptions, settings } = queueOptions(QUEUES.video, config);
  videoQueue = new Queue(QUEUES.video, {
    prefix: config.messaging.queuePrefix,
    redis: redisConnection(config.redis.queue),
    defaultJobOptions,
    settings,
  });
});

afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()));
  if (db?.isInitialized) {
    for (const ownerId of owners) await db.getRepository(Video).delete({ ownerId });
    await db.query('DELETE FROM users WHERE id = ANY($1)', [owners]);
    await db.destroy();
  }
  // Sign-ups queued welcome mails under this test's prefix too.
  const mailQueue = new Queue(QUEUES.mail, { prefix: config.messaging.queuePrefix, redis: redisConnection(config.redis.queue) });
  for (const queue of [videoQueue, mailQueue]) {
    await queue.obliterate({ force: true });
    await queue.close();
  }
  rmSync(work, { recursive: true, force: true });
});

describe('POST /videos', () => {
  it('accepts a real video: 202, its row, its job and its source', async () => {
    const alice = await customer();
    const reply = await upload(alice, clip);
    expect(reply.status).toBe(202);
    expect(reply.body).toMatchObject({ state: 'queued' });
    expect(await kept(alice.id)).toMatchObject({ rows: 1 });
    expect(await videoQueue.getJob(reply.body.id)).toBeTruthy();
    expect(statSync(path.join(storageDir, 'videos', reply.body.id, 'source')).size).toBe(clip.length);
  });

  describe('refuses what ffmpeg must not read, keeping nothing', () => {
    let secret: string;
    const past = new Date('2020-01-01T00:00:00Z');

    beforeAll(async () => {
      secret = await makeTestVideo(path.join(work, 'someone-elses.ts'), { seconds: 2, width: 320, height: 240, audio: false });
    });

    const cases: Array<[string, () => Promise<Buffer>, number, RegExp]> = [
      [
        "the issue's HLS playlist naming a local file",
        async () => hostileUploads.hlsPlaylist(secret),
        415,
        /^not a video: ffprobe reads it as "hls", which is not a video container we accept/,
      ],
      [
        'a concat list naming a local file',
        async () => hostileUploads.concatList(secret),
        415,
        /^not a video: ffprobe reads it as "concat", which is not a video container we accept/,
      ],
      ['an animated GIF', async () => readFileSync(await gif()), 415, /^not a video: ffprobe reads it as "gif"/],
      [
        'a video longer than the limit',
        async () => readFileSync(await makeTestVideo(path.join(work, 'long.mp4'), { seconds: 5, width: 160, height: 120, audio: false })),
        422,
        /^this video cannot be accepted: it is 5 s long; the limit is 4 s \(TENK_VIDEO_MAX_DURATION\)$/,
      ],
      [
        'a picture larger than the limit',
        async () => readFileSync(await makeTestVideo(path.join(work, 'large.mp4'), { seconds: 1, width: 800, height: 600, audio: false })),
        422,
        /^this video cannot be accepted: its picture is 800x600; the limit is 640x480, either way up \(TENK_VIDEO_MAX_RESOLUTION\)$/,
      ],
    ];

    it.each(cases)('%s', async (_label, bytes, status, message) => {
      const bob = await customer();
      utimesSync(secret, past, statSync(secret).mtime);
      const before = await kept(bob.id);
      const reply = await upload(bob, await bytes());
      expect([reply.status, reply.body.message]).toEqual([status, expect.stringMatching(message)]);
      expect(JSON.stringify(reply.body)).not.toContain(work);
      expect(await kept(bob.id)).toEqual(before);
      expect(statSync(secret).atimeMs).toBe(past.getTime());
    });

    async function gif(): Promise<string> {
      const file = path.join(work, 'animation.gif');
      const { execFileSync } = await import('node:child_process');
      execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10:duration=2', file]);
      return file;
    }
  });

  it("refuses a customer's upload past the videos in flight limit (429), keeping nothing; one finished frees a slot", async () => {
    const carol = await customer();
    const first = await upload(carol, small);
    const second = await upload(carol, small);
    expect([first.status, second.status]).toEqual([202, 202]);
    const before = await kept(carol.id);

    const third = await upload(carol, small);
    expect(third.status).toBe(429);
    expect(third.body.message).toBe(
      '2 of your videos are still being processed; the limit is 2 at a time (TENK_VIDEO_MAX_IN_FLIGHT): upload this one when one of them is ready',
    );
    expect(await kept(carol.id)).toEqual(before);

    await setState(first.body.id, 'ready');
    expect((await upload(carol, small)).status).toBe(202);
  });

  it('refuses an upload that does not fit the storage quota (413), declared or streamed; deleting a video makes room', async () => {
    const dave = await customer();
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const reply = await upload(dave, clip);
      expect(reply.status).toBe(202);
      await setState(reply.body.id, 'failed');
      ids.push(reply.body.id);
    }
    const before = await kept(dave.id);
    const quota = /of your (\d+(\.\d)? KiB) storage quota \(TENK_VIDEO_QUOTA_BYTES\)/;

    // Declared: refused before a byte is read.
    const declared = await upload(dave, clip);
    expect(declared.status).toBe(413);
    expect(declared.body.message).toMatch(quota);
    expect(declared.body.message).toMatch(
      /^your videos take \d+(\.\d)? KiB of your .*; this upload \(\d+(\.\d)? KiB\) does not fit: delete videos you no longer need \(DELETE \/videos\/:id\)$/,
    );

    // Streamed with no size up front (multipart): cut where the room ends.
    const form = new FormData();
    form.append('video', new Blob([clip], { type: 'video/mp4' }), 'clip.mp4');
    const streamed = await upload(dave, form);
    expect(streamed.status).toBe(413);
    expect(streamed.body.message).toMatch(/; this upload does not fit: delete videos/);
    expect(await kept(dave.id)).toEqual(before);

    // Room for a small one is still there.
    const fits = await upload(dave, small);
    expect(fits.status).toBe(202);
    await setState(fits.body.id, 'ready');

    // Deleting one makes room again; its files go with it.
    expect((await dave.client.request('DELETE', `/videos/${ids[0]}`)).status).toBe(204);
    expect(existsSync(path.join(storageDir, 'videos', ids[0]))).toBe(false);
    expect((await dave.client.request('GET', `/videos/${ids[0]}`)).status).toBe(404);
    expect((await upload(dave, clip)).status).toBe(202);
  });

  it('accepts one of two uploads sent at once that fit the quota alone but not together (413 for the other)', async () => {
    const erin = await customer();
    const first = await upload(erin, clip);
    await setState(first.body.id, 'ready');
    const [a, b] = await Promise.all([upload(erin, clip), upload(erin, clip)]);
    expect([a.status, b.status].sort()).toEqual([202, 413]);
    expect(await kept(erin.id)).toMatchObject({ rows: 2 });
  });

  it('limits uploads per client address, shared by every api instance (429 with Retry-After), whatever the account', async () => {
    const address = newClient();
    const [frank, grace] = await Promise.all([customer(urls[0]), customer(urls[1])]);
    const notes = Buffer.from('not a video at all\n'.repeat(50));
    // Four requests, refused or not, two on each instance, from two accounts: each one counts.
    for (const who of [frank, grace, frank, grace]) expect((await upload(who, notes, address)).status).toBe(415);
    const before = await kept(frank.id);
    const fifth = await upload(frank, clip, address);
    expect(fifth.status).toBe(429);
    expect(fifth.body.message).toMatch(
      /^too many uploads from your address: the limit is 4 every 10 min \(TENK_VIDEO_UPLOADS_PER_CLIENT\); try again in \d+ s$/,
    );
    expect(Number(fifth.headers.get('retry-after'))).toBeGreaterThan(500);
    expect(await kept(frank.id)).toEqual(before);
    // Another address is not held back.
    expect((await upload(frank, clip)).status).toBe(202);
  });
});

describe('DELETE /videos/:id', () => {
  it('is for its owner (404 to anyone else) and not while it is still processing (409)', async () => {
    const [henry, ivy] = await Promise.all([customer(), customer()]);
    const reply = await upload(henry, clip);
    expect((await ivy.client.request('DELETE', `/videos/${reply.body.id}`)).status).toBe(404);
    const busy = await henry.client.request('DELETE', `/videos/${reply.body.id}`);
    expect([busy.status, busy.body['message']]).toEqual([
      409,
      `video ${reply.body.id} is being processed; delete it once it is ready or failed`,
    ]);
    expect(existsSync(path.join(storageDir, 'videos', reply.body.id, 'source'))).toBe(true);
    expect((await new ShopClient(urls[0]).request('DELETE', `/videos/${reply.body.id}`)).status).toBe(401);
  });
});

/**
 * Uploads against what a hostile client sends (issue 12, sections 2 and 5), through the
 * balancer: files ffmpeg must not read as a video (a playlist or a list naming a file on the
 * server, an image, a video over a cost limit), each refused with the status and reason it
 * deserves and nothing of it kept; the per-client upload rate as the shop runs it; and the
 * shop healthy afterwards.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { hostileUploads, makeTestVideo } from '@tenk/media';
import { describeWhenLanded, ROOT, ShopClient, testVideo } from './access-support';
import { API, config } from './queues-support';

describeWhenLanded('videos')('security: uploads', () => {
  /** Upload folders in the shop's storage: "nothing kept" is counted here. */
  const storedVideos = () => {
    const folder = path.join(config.paths.storage, 'videos');
    return existsSync(folder) ? readdirSync(folder).length : 0;
  };
  /** A media file on this machine that an upload must never get read. */
  let target: string;

  beforeAll(async () => {
    await testVideo();
    target = path.join(ROOT, '.tenk/test-results/testsrc-2s.mp4');
  });

  const cases: Array<[string, () => Promise<Uint8Array>, number, RegExp]> = [
    [
      'an HLS playlist naming a file on the server (78 bytes in the issue)',
      async () => hostileUploads.hlsPlaylist(target),
      415,
      /^not a video: ffprobe reads it as "hls", which is not a video container we accept/,
    ],
    [
      'a concat list naming a file on the server',
      async () => hostileUploads.concatList(target),
      415,
      /^not a video: ffprobe reads it as "concat"/,
    ],
    ['an animated GIF', async () => gif(), 415, /^not a video: ffprobe reads it as "gif"/],
    [
      'a video over the frame rate limit',
      async () => fastVideo(),
      422,
      /^this video cannot be accepted: it has 120 frames per second; the limit is 60 \(TENK_VIDEO_MAX_FPS\)$/,
    ],
  ];

  it.each(cases)('refuses %s, naming why, and keeps nothing', async (_label, bytes, status, message) => {
    const mallory = await ShopClient.customer('mallory-video');
    const before = storedVideos();
    const reply = await mallory.request<{ message: string }>('POST', '/videos', { raw: { data: await bytes(), contentType: 'video/mp4' } });
    expect([reply.status, reply.body.message]).toEqual([status, expect.stringMatching(message)]);
    expect(reply.text).not.toContain(config.paths.storage);
    expect(storedVideos()).toBe(before);
    expect((await mallory.request<{ items: unknown[] }>('GET', '/videos')).body.items).toEqual([]);
  });

  it('limits uploads from one address (429 with Retry-After naming the limit), counting refused ones too', async () => {
    const { uploadsPerClient } = config.media.quotas;
    const mallory = await ShopClient.customer('mallory-rate');
    const notes = { data: Buffer.from('not a video\n'.repeat(100)), contentType: 'video/mp4' };
    for (let i = 0; i < uploadsPerClient; i++) expect((await mallory.request('POST', '/videos', { raw: notes })).status).toBe(415);
    const before = storedVideos();
    const refused = await mallory.request<{ message: string }>('POST', '/videos', {
      raw: { data: await testVideo(), contentType: 'video/mp4' },
    });
    expect(refused.status).toBe(429);
    expect(refused.body.message).toMatch(
      new RegExp(
        `^too many uploads from your address: the limit is ${uploadsPerClient} every .+ \\(TENK_VIDEO_UPLOADS_PER_CLIENT\\); try again in \\d+ s$`,
      ),
    );
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(storedVideos()).toBe(before);
    // The same customer from another address is not held back.
    const elsewhere = new ShopClient(mallory.base);
    elsewhere.cookie = mallory.cookie;
    expect([201, 202]).toContain(
      (await elsewhere.request('POST', '/videos', { raw: { data: await testVideo(), contentType: 'video/mp4' } })).status,
    );
  });

  it('refuses an upload from someone not signed in (401), keeping nothing', async () => {
    const before = storedVideos();
    const reply = await new ShopClient().request('POST', '/videos', {
      raw: { data: hostileUploads.hlsPlaylist(target), contentType: 'video/mp4' },
    });
    expect(reply.status).toBe(401);
    expect(storedVideos()).toBe(before);
  });

  it('leaves the shop healthy', async () => {
    const ready = await fetch(`${API}/health/ready`);
    expect(ready.status).toBe(200);
  });
});

async function gif(): Promise<Uint8Array> {
  return execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10:duration=2', '-f', 'gif', 'pipe:1']);
}

async function fastVideo(): Promise<Uint8Array> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tenk-e2e-fast-'));
  try {
    return await readFile(
      await makeTestVideo(path.join(dir, 'fast.mp4'), { seconds: 1, width: 160, height: 120, frameRate: 120, audio: false }),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

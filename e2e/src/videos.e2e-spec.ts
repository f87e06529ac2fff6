import http from 'node:http';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeTestVideo } from '@tenk/media';
import { eventually } from '@tenk/testing';
import { API, closeDb, config, Session } from './queues-support';

interface VideoView {
  id: string;
  url: string;
  state: 'queued' | 'processing' | 'ready' | 'failed';
  progress: number;
  error: string | null;
  processingMode: string;
  durationSeconds: number;
  renditions: Array<{ name: string; width: number; height: number; bytes: number; url: string }>;
  hls: { url: string } | null;
  thumbnail: { url: string } | null;
}

const work = mkdtempSync(path.join(os.tmpdir(), 'tenk-e2e-videos-'));
/** Upload folders in the shop's storage: "nothing kept" is counted here. */
const storedVideos = () =>
  readdirSync(path.join(config.paths.storage, 'videos'), { withFileTypes: true }).filter((entry) => entry.isDirectory()).length;

afterAll(async () => {
  rmSync(work, { recursive: true, force: true });
  await closeDb();
});

/**
 * Video uploads through the balancer, processed by the shop's media-worker from the Bull
 * `video` queue (the `async` switch on, as the shop starts): 202 at once, then renditions.
 */
describe('videos: upload, queue, transcode, play', () => {
  let owner: Session;
  let video: VideoView;
  let source: Buffer;

  beforeAll(async () => {
    owner = await Session.customer('video-owner');
    source = readFileSync(await makeTestVideo(path.join(work, 'testsrc-5s.mp4'), { seconds: 5 }));
  });

  it('answers 202 with the video URL at once, and the worker makes renditions, HLS and a thumbnail while progress rises to 100', async () => {
    const upload = await owner.request<VideoView>('POST', '/videos', { body: source, headers: { 'content-type': 'video/mp4' } });
    expect(upload.status).toBe(202);
    expect(upload.headers.get('location')).toBe(upload.body.url);
    expect(upload.body).toMatchObject({ state: 'queued', progress: 0, processingMode: 'queued', durationSeconds: 5 });

    const progress: number[] = [];
    video = await eventually(
      async () => {
        const reply = await owner.request<VideoView>('GET', upload.body.url);
        if (reply.body.state === 'failed') throw new Error(`the video failed: ${reply.body.error}`);
        progress.push(reply.body.progress);
        return reply.body.state === 'ready' ? reply.body : undefined;
      },
      'the video never became ready',
      120_000,
      300,
    );
    expect(progress.at(-1)).toBe(100);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
    expect(video.renditions.map((r) => [r.name, r.width, r.height])).toEqual([
      ['360p', 640, 360],
      ['720p', 1280, 720],
    ]);
    expect(video.thumbnail?.url).toBe(`${video.url}/files/thumbnail.jpg`);
    expect(video.hls?.url).toBe(`${video.url}/hls/master.m3u8`);
  });

  it('serves renditions with Range support, so a browser can play and seek', async () => {
    const rendition = video.renditions.find((r) => r.name === '720p')!;
    const whole = await fetch(`${owner.base}${rendition.url}`, { headers: { cookie: owner.cookie } });
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('video/mp4');
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    const bytes = Buffer.from(await whole.arrayBuffer());
    expect(bytes.length).toBe(rendition.bytes);
    expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp'); // an MP4, moov first (faststart)

    const seek = await fetch(`${owner.base}${rendition.url}`, { headers: { cookie: owner.cookie, range: 'bytes=1000-1999' } });
    expect(seek.status).toBe(206);
    expect(seek.headers.get('content-range')).toBe(`bytes 1000-1999/${rendition.bytes}`);
    expect(Buffer.from(await seek.arrayBuffer()).equals(bytes.subarray(1000, 2000))).toBe(true);
    const past = await fetch(`${owner.base}${rendition.url}`, { headers: { cookie: owner.cookie, range: `bytes=${rendition.bytes}-` } });
    expect(past.status).toBe(416);
    const head = await fetch(`${owner.base}${rendition.url}`, { method: 'HEAD', headers: { cookie: owner.cookie } });
    expect(head.headers.get('content-length')).toBe(String(rendition.bytes));

    const thumbnail = await fetch(`${owner.base}${video.thumbnail!.url}`, { headers: { cookie: owner.cookie } });
    expect(thumbnail.headers.get('content-type')).toBe('image/jpeg');
    expect(
      Buffer.from(await thumbnail.arrayBuffer())
        .subarray(0, 2)
        .toString('hex'),
    ).toBe('ffd8');
  });

  it('serves an HLS playlist whose variants and segments resolve', async () => {
    const master = await owner.request('GET', video.hls!.url);
    expect(master.status).toBe(200);
    expect(master.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    expect(master.text).toContain('360p.m3u8');
    expect(master.text).toContain('720p.m3u8');
    const variant = await owner.request('GET', `${video.url}/hls/360p.m3u8`);
    const segment = variant.text.split('\n').find((line) => line.endsWith('.ts'))!;
    const reply = await fetch(`${owner.base}${video.url}/hls/${segment}`, { headers: { cookie: owner.cookie } });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toBe('video/mp2t');
    expect((await owner.request('GET', `${video.url}/hls/..%2F720p.mp4`)).status).toBe(404);
  });

  it("answers 404 to another customer's video and files, 401 without a session; an admin may look", async () => {
    const stranger = await Session.customer('video-stranger');
    expect((await stranger.request('GET', video.url)).status).toBe(404);
    expect((await stranger.request('GET', video.renditions[0].url)).status).toBe(404);
    expect((await new Session().request('GET', video.url)).status).toBe(401);
    expect((await (await Session.admin()).request('GET', video.url)).status).toBe(200);
  });

  it('refuses a text file renamed .mp4 (415, with the reason) and keeps nothing', async () => {
    const before = storedVideos();
    const notes = Buffer.from('these are my holiday notes, not a video\n'.repeat(200));
    const raw = await owner.request<{ message: string }>('POST', '/videos', { body: notes, headers: { 'content-type': 'video/mp4' } });
    expect(raw.status).toBe(415);
    expect(raw.body.message).toMatch(
      /^not a video: ffprobe could not read it as media \(.*Invalid data found when processing input\); upload a video file/,
    );
    expect(raw.text).not.toContain(config.paths.storage);

    const form = new FormData();
    form.append('video', new Blob([notes], { type: 'video/mp4' }), 'holiday.mp4');
    const multipart = await fetch(`${owner.base}/videos`, { method: 'POST', body: form, headers: { cookie: owner.cookie } });
    expect(multipart.status).toBe(415);

    expect(storedVideos()).toBe(before);
    const mine = await owner.request<{ items: VideoView[] }>('GET', '/videos');
    expect(mine.body.items.map((item) => item.id)).toEqual([video.id]);
  });

  it('refuses an upload over the size limit with 413 naming the limit, before reading it', async () => {
    // Straight to an api instance: the balancer's own client_max_body_size would answer first.
    const reply = await new Promise<{ status: number; body: string; connection: string | undefined }>((resolve, reject) => {
      const request = http.request(
        `${API}/videos`,
        {
          method: 'POST',
          headers: { cookie: owner.cookie, 'content-type': 'video/mp4', 'content-length': String(config.media.maxUploadBytes + 1) },
        },
        (response) => {
          let body = '';
          response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body, connection: response.headers.connection }));
        },
      );
      request.on('error', reject);
      request.write(Buffer.alloc(64 * 1024)); // a start of the body; the rest never comes
    });
    expect(reply.status).toBe(413);
    expect(JSON.parse(reply.body).message).toBe('the video is larger than the 200 MiB upload limit (TENK_VIDEO_MAX_BYTES)');
    expect(reply.connection).toBe('close');
  });

  it('refuses an upload without a session (401)', async () => {
    expect((await new Session().request('POST', '/videos', { body: source, headers: { 'content-type': 'video/mp4' } })).status).toBe(401);
  });

  it('deletes a video and every file of it for its owner (204), freeing its room in the quota; not for anyone else (404)', async () => {
    const stranger = await Session.customer('video-deleter');
    expect((await stranger.request('DELETE', video.url)).status).toBe(404);
    const folder = path.join(config.paths.storage, 'videos', video.id);
    expect(readdirSync(folder).sort()).toEqual(expect.arrayContaining(['360p.mp4', '720p.mp4', 'hls', 'source', 'thumbnail.jpg']));

    expect((await owner.request('DELETE', video.url)).status).toBe(204);
    expect(existsSync(folder)).toBe(false);
    expect((await owner.request('GET', video.url)).status).toBe(404);
    expect((await owner.request('GET', video.renditions[0].url)).status).toBe(404);
    expect((await owner.request<{ items: VideoView[] }>('GET', '/videos')).body.items).toEqual([]);
  });
});

describe('queue operations', () => {
  it('mounts Bull Board at /admin/queues for admins only', async () => {
    expect((await new Session().request('GET', '/admin/queues')).status).toBe(401);
    const customer = await Session.customer('board-customer');
    expect((await customer.request('GET', '/admin/queues')).status).toBe(403);
    expect((await customer.request('GET', '/admin/queues/api/queues')).status).toBe(403);
    const admin = await Session.admin();
    const page = await admin.request('GET', '/admin/queues');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<title>tenk queues</title>');
    const queues = await admin.request<{ queues: Array<{ name: string }> }>('GET', '/admin/queues/api/queues');
    expect(queues.body.queues.map((queue) => queue.name).sort()).toEqual(['dead-letter', 'mail', 'report', 'video']);
  });

  it('exports queue depth and job metrics', async () => {
    const api = await (await fetch(`${API}/metrics`)).text();
    expect(api).toMatch(/^tenk_queue_jobs\{queue="video",state="completed",service="api"\} \d+$/m);
    const worker = await (await fetch(`http://127.0.0.1:${config.services.mediaWorkerPort}/metrics`)).text();
    expect(worker).toMatch(
      /^tenk_queue_job_duration_seconds_count\{service="media-worker",queue="video",job="video.transcode.v1",outcome="completed"\} [1-9]\d*$/m,
    );
  });
});

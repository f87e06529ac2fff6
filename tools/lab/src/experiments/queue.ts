import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { makeTestVideo } from '@tenk/media';
import type { Shop } from '@tenk/shop';
import { newClientAddress, startEphemeralRedis } from '@tenk/testing';
import type { Experiment, LabContext, LabResult } from '../experiment';
import { labProductIds, startLabShop, waitForFreeLabPorts } from '../lab-shop';
import { percentile, runOpenLoop, statusCounts, type Sample } from './open-loop';
import { interleaved, quote, roundsFor, summarize, type Row } from '../repeats';

type Mode = 'in the request' | 'queued';

interface Settings {
  uploads: number;
  uploaders: number;
  videoSeconds: number;
  readsPerSecond: number;
  calmS: number;
  loadS: number;
}

interface Upload {
  sentAtMs: number;
  latencyMs: number;
  status: number;
  id?: string;
}

interface RunOutcome {
  uploads: Upload[];
  reads: Sample[];
  /** From the first upload sent to the last video ready (ms since the load started). */
  busyFromMs: number;
  busyToMs: number;
  readyCount: number;
  /** The work window ended after the read load did: later reads are missing from it. */
  truncated: boolean;
}

/**
 * `npm run lab -- queue`: the same video uploads, transcoded inside the upload request (the
 * `async` switch off: "before queues") and queued for the media-worker (switch on), while
 * shoppers keep reading the catalog. Each run gets a fresh lab shop (2 api instances and a
 * media-worker, called directly) with its own queue Redis and storage folder, so no other
 * shop on this machine is touched. The two runs are interleaved over `--rounds` rounds (3);
 * each figure is the median, with its spread.
 */
export const queueExperiment: Experiment = {
  name: 'queue',
  summary: 'video uploads transcoded in the request vs queued: upload p50/p99, catalog p50/p99 and throughput meanwhile, time to all-ready',
  async run(context: LabContext): Promise<LabResult> {
    const settings: Settings = {
      uploads: context.option('uploads', context.quick ? 2 : 8),
      uploaders: context.option('uploaders', context.quick ? 2 : 4),
      videoSeconds: context.option('video-seconds', context.quick ? 2 : 8),
      readsPerSecond: context.option('reads', 40),
      calmS: context.seconds(5, 2),
      loadS: context.option('duration', context.seconds(60, 15)),
    };
    const work = mkdtempSync(path.join(os.tmpdir(), 'tenk-lab-queue-'));
    try {
      context.log(`making a ${settings.videoSeconds} s 1280x720 test video (ffmpeg testsrc)`);
      const video = readFileSync(
        await makeTestVideo(path.join(work, 'upload.mp4'), { seconds: settings.videoSeconds, ffmpegPath: context.config.media.ffmpegPath }),
      );
      const runs = await interleaved(
        roundsFor(context),
        ['in the request', 'queued'] as const,
        (mode) => measure(context, mode, settings, video, work),
        context.log,
      );
      return report(runs, settings, video.length);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  },
};

async function measure(context: LabContext, mode: Mode, settings: Settings, video: Buffer, work: string): Promise<RunOutcome> {
  await waitForFreeLabPorts(context);
  const queueRedis = await startEphemeralRedis(['--maxmemory-policy', 'noeviction']);
  const storage = mkdtempSync(path.join(work, 'storage-'));
  let shop: Shop | undefined;
  try {
    shop = await startLabShop(context, {
      apiInstances: 2,
      components: ['api', 'media-worker'],
      env: {
        TENK_REDIS_QUEUE_PORT: String(queueRedis.port),
        TENK_SWITCH_ASYNC: mode === 'queued' ? 'on' : 'off',
        TENK_STORAGE_DIR: storage,
        // One shopper uploads them all from one address: the experiment measures the queue, not the upload limits.
        TENK_VIDEO_MAX_IN_FLIGHT: String(settings.uploads),
        TENK_VIDEO_UPLOADS_PER_CLIENT: String(settings.uploads),
      },
    });
    const apis = shop.urls.apis;
    const products = await labProductIds(apis[0]);
    const cookie = await signUp(apis[0], mode);
    context.log(
      `${mode}: ${settings.readsPerSecond} catalog reads/s for ${settings.loadS} s; ${settings.uploads} uploads (${settings.uploaders} at a time) from ${settings.calmS} s`,
    );

    const started = performance.now();
    const clock = () => performance.now() - started;
    const reads = runOpenLoop({
      origins: apis,
      clients: 20,
      durationMs: settings.loadS * 1000,
      timeoutMs: 30_000,
      maxInFlight: 1_000,
      streams: [
        {
          name: 'reads',
          ratePerSecond: settings.readsPerSecond,
          next: (i) =>
            i % 2 === 0
              ? { path: `/products?limit=20&page=${1 + (i % 25)}`, method: 'GET' }
              : { path: `/products/${products[i % products.length]}`, method: 'GET' },
        },
      ],
    });
    await sleep(settings.calmS * 1000);
    const uploads = await uploadAll(apis, cookie, video, settings, clock);
    const busyFromMs = Math.min(...uploads.map((u) => u.sentAtMs));
    const accepted = uploads.filter((u) => u.id);
    // Queued: the videos become playable later, one after another in the media-worker.
    const readyCount = await waitUntilReady(apis[0], cookie, accepted.length, mode === 'queued' ? 300_000 : 10_000);
    const busyToMs = mode === 'queued' ? clock() : Math.max(...uploads.map((u) => u.sentAtMs + u.latencyMs));
    const { samples } = await reads;
    const truncated = busyToMs > settings.loadS * 1000;
    if (truncated)
      context.log(`${mode}: the work outlasted the read load (${Math.round(busyToMs / 1000)} s > ${settings.loadS} s): raise --duration`);
    context.log(
      `${mode}: ${accepted.length}/${uploads.length} uploads accepted, ${readyCount} ready after ${((busyToMs - busyFromMs) / 1000).toFixed(1)} s`,
    );
    return { uploads, reads: samples, busyFromMs, busyToMs, readyCount, truncated };
  } finally {
    await shop?.stop();
    await queueRedis.stop();
    rmSync(storage, { recursive: true, force: true });
  }
}

/** `uploaders` shoppers, each uploading its share back to back (the next when the last is answered). */
async function uploadAll(apis: string[], cookie: string, video: Buffer, settings: Settings, clock: () => number): Promise<Upload[]> {
  const results: Upload[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: settings.uploaders }, async (_, uploader) => {
      for (let index = next++; index < settings.uploads; index = next++) {
        const sentAtMs = clock();
        try {
          const response = await request(`${apis[(index + uploader) % apis.length]}/videos`, {
            method: 'POST',
            headers: { 'content-type': 'video/mp4', cookie },
            body: video,
            headersTimeout: 300_000,
            bodyTimeout: 300_000,
          });
          const body = (await response.body.json()) as { id?: string };
          results.push({
            sentAtMs,
            latencyMs: clock() - sentAtMs,
            status: response.statusCode,
            id: response.statusCode < 300 ? body.id : undefined,
          });
        } catch {
          results.push({ sentAtMs, latencyMs: clock() - sentAtMs, status: 0 });
        }
      }
    }),
  );
  return results;
}

async function waitUntilReady(api: string, cookie: string, expected: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await request(`${api}/videos?limit=100`, { headers: { cookie } });
    const { items } = (await response.body.json()) as { items: Array<{ state: string }> };
    const ready = items.filter((item) => item.state === 'ready').length;
    if (ready >= expected || items.some((item) => item.state === 'failed') || Date.now() > deadline) return ready;
    await sleep(250);
  }
}

/** One run's figures, as the result keeps them (the median of the rounds). */
function rowOf(run: RunOutcome, settings: Settings): Row {
  const calm = run.reads.filter((s) => s.sentAtMs >= 1_000 && s.sentAtMs < run.busyFromMs);
  const busy = run.reads.filter((s) => s.sentAtMs >= run.busyFromMs && s.sentAtMs < run.busyToMs);
  const busySeconds = (Math.min(run.busyToMs, settings.loadS * 1000) - run.busyFromMs) / 1000;
  const answered = (samples: Sample[]) => samples.filter((s) => s.status >= 200 && s.status < 400);
  const latencies = run.uploads.map((u) => u.latencyMs);
  return {
    uploadP50Ms: round(percentile(latencies, 50)),
    uploadP99Ms: round(percentile(latencies, 99)),
    uploadStatuses: statusCounts(run.uploads),
    uploadsPerSecond: round(
      run.uploads.length / ((Math.max(...run.uploads.map((u) => u.sentAtMs + u.latencyMs)) - run.busyFromMs) / 1000),
      2,
    ),
    allReadyS: round((run.busyToMs - run.busyFromMs) / 1000, 1),
    videosReady: run.readyCount,
    readsCalmP50Ms: round(
      percentile(
        calm.map((s) => s.latencyMs),
        50,
      ),
      1,
    ),
    readsCalmP99Ms: round(
      percentile(
        calm.map((s) => s.latencyMs),
        99,
      ),
      1,
    ),
    readsBusyP50Ms: round(
      percentile(
        busy.map((s) => s.latencyMs),
        50,
      ),
      1,
    ),
    readsBusyP99Ms: round(
      percentile(
        busy.map((s) => s.latencyMs),
        99,
      ),
      1,
    ),
    readsBusyPerSecond: round(answered(busy).length / Math.max(busySeconds, 0.001), 1),
    readsBusyErrorPct: busy.length === 0 ? 0 : round((100 * (busy.length - answered(busy).length)) / busy.length, 2),
    readsBusyCount: busy.length,
    note: run.truncated ? 'work outlasted the read load: window truncated' : '',
  };
}

function report(runs: Record<Mode, RunOutcome[]>, settings: Settings, videoBytes: number): LabResult {
  const measurements: LabResult['measurements'] = {};
  const charts: LabResult['charts'] = [
    { title: 'Upload request: p99 (the shopper waits this long), median', unit: 'ms', bars: [], lowerIsBetter: true },
    { title: 'Catalog reads while videos are processed: p99, median', unit: 'ms', bars: [], lowerIsBetter: true },
    { title: 'Catalog reads while videos are processed: answered per second, median', unit: 'req/s', bars: [] },
    { title: `Time until all ${settings.uploads} videos are playable, median`, unit: 's', bars: [], lowerIsBetter: true },
  ];
  for (const mode of ['in the request', 'queued'] as const) {
    const row = summarize(runs[mode].map((run) => rowOf(run, settings)));
    if (row.note === '') delete row.note;
    measurements[mode] = row;
    charts[0].bars.push({ label: mode, value: Number(row.uploadP99Ms), series: mode });
    charts[1].bars.push({ label: mode, value: Number(row.readsBusyP99Ms), series: mode });
    charts[2].bars.push({ label: mode, value: Number(row.readsBusyPerSecond), series: mode });
    charts[3].bars.push({ label: mode, value: Number(row.allReadyS), series: mode });
  }
  const rounds = runs['queued'].length;
  const sync = measurements['in the request'];
  const queued = measurements['queued'];
  return {
    headline:
      `queued, an upload is answered in ${quote(queued, 'uploadP99Ms', 'ms')} p99 instead of ${quote(sync, 'uploadP99Ms', 'ms')}; catalog p99 while videos are processed ` +
      `${quote(queued, 'readsBusyP99Ms', 'ms')} vs ${quote(sync, 'readsBusyP99Ms', 'ms')} in the request; all ${settings.uploads} videos playable after ${quote(queued, 'allReadyS', 's')} vs ${quote(sync, 'allReadyS', 's')} (median of ${rounds} round${rounds === 1 ? '' : 's'})`,
    measurements,
    charts,
    notes: [
      `${settings.uploads} uploads of the same ${settings.videoSeconds} s 1280x720 H.264 test video (${(videoBytes / 1024).toFixed(0)} KiB), ${settings.uploaders} uploaders each sending its next upload when the last was answered; each becomes 360p + 720p MP4, HLS and a thumbnail`,
      `in the request: TENK_SWITCH_ASYNC=off, each upload request runs ffmpeg before answering (201); queued: TENK_SWITCH_ASYNC=on, the api answers 202 after the ffprobe check and one media-worker (TENK_VIDEO_CONCURRENCY=1) transcodes`,
      `meanwhile ${settings.readsPerSecond} catalog reads/s (open loop, list and product pages, 20 client addresses) straight to the 2 api instances; "while processed": from the first upload to the last video playable`,
      'the api, the media-worker and ffmpeg share one machine here, as the database and Redis do; with workers on their own machines the queued catalog numbers would not move at all',
      `${rounds} round${rounds === 1 ? '' : 's'}, the two runs interleaved in each, each on a fresh shop: every number is the median of the rounds, <key>_min and <key>_max its spread`,
    ],
  };
}

async function signUp(api: string, mode: Mode): Promise<string> {
  const email = `lab-queue-${mode === 'queued' ? 'queued' : 'sync'}-${Date.now().toString(36)}@example.com`;
  const response = await request(`${api}/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': newClientAddress() },
    body: JSON.stringify({ email, name: 'Lab uploader', password: 'lab uploader password' }),
  });
  const text = await response.body.text();
  const cookie = ([] as string[]).concat(response.headers['set-cookie'] ?? []).find((line) => line.startsWith('tenk_session='));
  if (response.statusCode !== 201 || !cookie) throw new Error(`POST /users answered ${response.statusCode}: ${text.slice(0, 200)}`);
  return cookie.split(';')[0];
}

const round = (value: number, digits = 0) => Math.round(value * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

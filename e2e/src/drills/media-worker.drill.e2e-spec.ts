/**
 * Drill: the media-worker is killed in the middle of a transcode. Its job's lock lapses, the
 * restarted worker takes the stalled job over, and the video still becomes playable.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { eventually } from '@tenk/testing';
import { control, processState } from './drill-support';
import { newCustomer } from './shop-client';

const ROOT = path.resolve(__dirname, '../../..');

/** A 720p clip long enough that its transcode is still running when the worker dies. */
async function longClip(): Promise<Buffer> {
  const file = path.join(ROOT, '.tenk/test-results', 'drill-720p-20s.mp4');
  await mkdir(path.dirname(file), { recursive: true });
  await new Promise<void>((resolve, reject) => {
    const ffmpeg = spawn('ffmpeg', [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc=duration=20:size=1280x720:rate=25',
      '-pix_fmt',
      'yuv420p',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      file,
    ]);
    ffmpeg.on('error', reject);
    ffmpeg.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited with ${code}`))));
  });
  return readFile(file);
}

interface VideoView {
  id: string;
  state: string;
  progress: number;
  renditions?: unknown[];
}

describe('drill: kill the media-worker mid-transcode', () => {
  afterAll(async () => {
    if ((await processState('media-worker')) !== 'ready') await control('media-worker', 'start');
  });

  it('completes the job after the worker restarts', async () => {
    const owner = await newCustomer('media');
    const upload = await owner.request<VideoView>('POST', '/videos', { body: await longClip(), headers: { 'content-type': 'video/mp4' } });
    expect(upload.status).toBe(202);
    const id = upload.body.id;

    await eventually(
      async () => {
        const video = (await owner.request<VideoView>('GET', `/videos/${id}`)).body;
        return video.state === 'processing' && video.progress > 0;
      },
      'the transcode never started',
      120_000,
      200,
    );
    await control('media-worker', 'kill');
    const interrupted = (await owner.request<VideoView>('GET', `/videos/${id}`)).body;
    expect(interrupted.state).not.toBe('ready');

    await control('media-worker', 'start');
    const done = await eventually(
      async () => {
        const video = (await owner.request<VideoView>('GET', `/videos/${id}`)).body;
        if (video.state === 'failed') throw new Error(`the video failed: ${JSON.stringify(video)}`);
        return video.state === 'ready' ? video : undefined;
      },
      'the video never became ready after the worker restarted',
      300_000,
      1_000,
    );
    expect(done.progress).toBe(100);
    expect(done.renditions?.length).toBeGreaterThanOrEqual(2);
  });
});

import { loadConfig } from '../tenk-config';
import { formatByteSize, parseByteSize } from './byte-size';

describe('media, storage, messaging and reports settings', () => {
  it('has defaults that work on the local stack', () => {
    const config = loadConfig({});
    expect(config.media).toMatchObject({
      ffmpegPath: 'ffmpeg',
      ffprobePath: 'ffprobe',
      maxUploadBytes: 200 * 1024 * 1024,
      hls: true,
      x264Preset: 'veryfast',
    });
    expect(config.media.limits).toEqual({
      maxDurationSeconds: 600,
      maxPicture: { width: 4096, height: 2160 },
      maxFrameRate: 60,
      maxStreams: 16,
    });
    expect(config.media.quotas).toEqual({ storedBytes: 2 * 1024 ** 3, inFlight: 3, uploadsPerClient: 30, windowMs: 600_000 });
    expect(config.storage.driver).toBe('local');
    expect(config.messaging).toMatchObject({ queuePrefix: undefined, lockDurationMs: 30_000, maxStalledCount: 2 });
    expect(config.messaging.video).toEqual({ concurrency: 1, attempts: 3, backoffMs: 10_000 });
    expect(config.messaging.kafka).toMatchObject({
      groupPrefix: 'tenk',
      ordersTopic: 'orders.events',
      sessionTimeoutMs: 30_000,
      heartbeatIntervalMs: 3_000,
    });
    expect(config.reports).toEqual({ fileTtlMs: 86_400_000, expirySweepMs: 600_000, maxRangeDays: 366 });
  });

  it('reads overrides', () => {
    const config = loadConfig({
      TENK_VIDEO_MAX_BYTES: '50MB',
      TENK_VIDEO_CONCURRENCY: '4',
      TENK_MAIL_BACKOFF: '500ms',
      TENK_QUEUE_PREFIX: 'lab',
      TENK_ORDERS_TOPIC: 'test.orders',
      TENK_FFMPEG_PATH: '/opt/ffmpeg/bin/ffmpeg',
      TENK_REPORT_TTL: '1h',
    });
    expect(config.media.maxUploadBytes).toBe(50_000_000);
    expect(config.media.ffmpegPath).toBe('/opt/ffmpeg/bin/ffmpeg');
    expect(config.messaging.video.concurrency).toBe(4);
    expect(config.messaging.mail.backoffMs).toBe(500);
    expect(config.messaging.queuePrefix).toBe('lab');
    expect(config.messaging.kafka.ordersTopic).toBe('test.orders');
    expect(config.reports.fileTtlMs).toBe(3_600_000);
  });

  it('reads the video limits and upload quotas, a portrait resolution turned landscape', () => {
    const config = loadConfig({
      TENK_VIDEO_MAX_DURATION: '90s',
      TENK_VIDEO_MAX_RESOLUTION: '1080x1920',
      TENK_VIDEO_MAX_FPS: '30',
      TENK_VIDEO_MAX_STREAMS: '4',
      TENK_VIDEO_QUOTA_BYTES: '500MiB',
      TENK_VIDEO_MAX_IN_FLIGHT: '1',
      TENK_VIDEO_UPLOADS_PER_CLIENT: '5',
      TENK_VIDEO_UPLOAD_WINDOW: '1m',
    });
    expect(config.media.limits).toEqual({
      maxDurationSeconds: 90,
      maxPicture: { width: 1920, height: 1080 },
      maxFrameRate: 30,
      maxStreams: 4,
    });
    expect(config.media.quotas).toEqual({ storedBytes: 500 * 1024 ** 2, inFlight: 1, uploadsPerClient: 5, windowMs: 60_000 });
  });

  it('stops the start naming each bad video limit or quota', () => {
    const bad = {
      TENK_VIDEO_MAX_RESOLUTION: '4k',
      TENK_VIDEO_MAX_FPS: '0',
      TENK_VIDEO_MAX_STREAMS: 'many',
      TENK_VIDEO_QUOTA_BYTES: '10',
      TENK_VIDEO_MAX_IN_FLIGHT: '-1',
      TENK_VIDEO_UPLOADS_PER_CLIENT: '1.5',
      TENK_VIDEO_UPLOAD_WINDOW: 'soon',
    };
    let message = '';
    try {
      loadConfig(bad);
    } catch (error) {
      message = (error as Error).message;
    }
    for (const [name, value] of Object.entries(bad)) expect(message).toContain(`${name}="${value}"`);
    expect(message).toContain('expected WIDTHxHEIGHT such as 4096x2160');
    expect(() => loadConfig({ TENK_VIDEO_MAX_RESOLUTION: '8x8' })).toThrow(/TENK_VIDEO_MAX_RESOLUTION="8x8"/);
  });

  it('names every bad value', () => {
    expect(() =>
      loadConfig({
        TENK_VIDEO_MAX_BYTES: 'big',
        TENK_VIDEO_ATTEMPTS: '0',
        TENK_QUEUE_PREFIX: 'a b',
        TENK_KAFKA_HEARTBEAT_INTERVAL: '20s',
        TENK_VIDEO_X264_PRESET: 'placebo',
        TENK_STORAGE_DRIVER: 's3',
      }),
    ).toThrow(
      expect.objectContaining({
        message: expect.stringMatching(
          /TENK_VIDEO_MAX_BYTES="big"[\s\S]*TENK_VIDEO_X264_PRESET="placebo"[\s\S]*TENK_STORAGE_DRIVER="s3"[\s\S]*TENK_QUEUE_PREFIX="a b"[\s\S]*TENK_KAFKA_HEARTBEAT_INTERVAL="20000": must be at most a third[\s\S]*TENK_VIDEO_ATTEMPTS="0"/,
        ),
      }),
    );
  });

  it('reads and writes byte sizes', () => {
    expect(parseByteSize('200MiB')).toBe(209_715_200);
    expect(parseByteSize('1.5 kb')).toBe(1_500);
    expect(parseByteSize('1048576')).toBe(1_048_576);
    expect(parseByteSize('12 parsecs')).toBeUndefined();
    expect(formatByteSize(209_715_200)).toBe('200 MiB');
    expect(formatByteSize(1_536)).toBe('1.5 KiB');
    expect(formatByteSize(900)).toBe('900 bytes');
  });
});

import { loadConfig } from '@tenk/config';
import { QUEUES } from '@tenk/contracts';
import { DEAD_LETTER_QUEUE, queueOptions, queuePrefix } from './queue-registry';

describe('queue registry', () => {
  const config = loadConfig({
    TENK_VIDEO_ATTEMPTS: '4',
    TENK_VIDEO_BACKOFF: '2s',
    TENK_QUEUE_LOCK_DURATION: '10s',
    TENK_QUEUE_STALLED_INTERVAL: '5s',
  });

  it('gives each queue its attempts and exponential backoff from the configuration', () => {
    expect(queueOptions(QUEUES.video, config).defaultJobOptions).toMatchObject({
      attempts: 4,
      backoff: { type: 'exponential', delay: 2_000 },
    });
    expect(queueOptions(QUEUES.mail, config).defaultJobOptions).toMatchObject({
      attempts: 8,
      backoff: { type: 'exponential', delay: 2_000 },
    });
  });

  it('keeps finished jobs for a while and failed ones longer', () => {
    const { removeOnComplete, removeOnFail } = queueOptions(QUEUES.mail, config).defaultJobOptions ?? {};
    expect(removeOnComplete).toEqual({ age: 86_400, count: 10_000 });
    expect(removeOnFail).toEqual({ age: 30 * 86_400 });
  });

  it('renews a running job lock at half its duration and looks for stalled jobs as configured', () => {
    expect(queueOptions(QUEUES.video, config).settings).toEqual({
      lockDuration: 10_000,
      lockRenewTime: 5_000,
      stalledInterval: 5_000,
      maxStalledCount: 2,
    });
  });

  it('never retries in the dead-letter queue', () => {
    expect(queueOptions(DEAD_LETTER_QUEUE, config).defaultJobOptions).toMatchObject({ attempts: 1 });
  });
});

describe('queuePrefix', () => {
  it('is tenk for the default storage folder, the variable when set, and per folder otherwise', () => {
    expect(queuePrefix(loadConfig({}))).toBe('tenk');
    expect(queuePrefix(loadConfig({ TENK_QUEUE_PREFIX: 'lab' }))).toBe('lab');
    const loadShop = queuePrefix(loadConfig({ TENK_STATE_DIR: '/tmp/load-shop' }));
    expect(loadShop).toMatch(/^tenk-[0-9a-f]{8}$/);
    expect(queuePrefix(loadConfig({ TENK_STORAGE_DIR: '/tmp/load-shop/storage' }))).toBe(loadShop);
    expect(queuePrefix(loadConfig({ TENK_STORAGE_DIR: '/srv/other' }))).not.toBe(loadShop);
  });
});

import type { PinoLogger } from 'nestjs-pino';
import { CacheKeys } from './cache-keys';
import { Generations } from './generations';
import { LocalTier } from './local-tier';
import type { CacheRedis } from './redis/cache-redis';
import type { RedisGuard } from './redis/redis-guard';

/** Generations over a fake Redis whose pub/sub link is up or down, remembering what a message told it. */
function generationsWith(options: { live: boolean; mustSeeOwnWrites?: () => boolean }) {
  let listener: (message: string) => void = () => undefined;
  const redis = {
    subscriberLive: options.live,
    channel: 'test:invalidations',
    listen: (handler: (message: string) => void) => (listener = handler),
    onSubscriberChange: () => undefined,
  } as unknown as CacheRedis;
  const logger = { setContext: () => undefined } as unknown as PinoLogger;
  const generations = new Generations(new CacheKeys('test', 1), redis, {} as RedisGuard, new LocalTier(10, 1_000), logger, {
    mustSeeOwnWrites: options.mustSeeOwnWrites,
  });
  generations.onModuleInit();
  return { generations, publish: (message: string) => listener(message) };
}

describe('Generations.known', () => {
  it('answers from memory, in order, while pub/sub flows and every tag is remembered', () => {
    const { generations, publish } = generationsWith({ live: true });
    publish('catalog,product:1|7,9');
    expect(generations.known(['product:1', 'catalog'])).toEqual({ ok: true, value: [9, 7] });
    expect(generations.known([])).toEqual({ ok: true, value: [] });
  });

  it('leaves it to current() (Redis) for a tag not remembered, without pub/sub, or for a client that must see its own writes', () => {
    const live = generationsWith({ live: true });
    live.publish('catalog|7');
    expect(live.generations.known(['catalog', 'product:2'])).toBeUndefined();
    const down = generationsWith({ live: false });
    down.publish('catalog|7');
    expect(down.generations.known(['catalog'])).toBeUndefined();
    const ownWrites = generationsWith({ live: true, mustSeeOwnWrites: () => true });
    ownWrites.publish('catalog|7');
    expect(ownWrites.generations.known(['catalog'])).toBeUndefined();
  });
});

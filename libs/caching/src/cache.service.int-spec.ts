/**
 * CacheService against the real cache Redis and PostgreSQL: every test counts the statements
 * PostgreSQL really ran (pg_stat_statements) rather than trusting the cache's own word. Each
 * test has its own key namespace; fault tests use a private Redis or a TCP proxy, never the
 * shared one.
 */
import { Injectable, NotFoundException } from '@nestjs/common';
import Redis from 'ioredis';
import { redisConnection } from '@tenk/config';
import type { Pool } from 'pg';
import { eventually, startEphemeralRedis, TcpProxy, uniqueName } from '@tenk/testing';
import { CacheKeys } from './cache-keys';
import { CacheRedis } from './redis/cache-redis';
import { Cacheable } from './decorators/cacheable.decorator';
import { InvalidatesCache } from './decorators/invalidates-cache.decorator';
import {
  adminPool,
  config,
  ProbeDatabase,
  ProbeTable,
  startCacheApp,
  type CacheTestApp,
  type CacheTestAppOptions,
} from './testing/cache-test-app';

let table: ProbeTable;

interface Probe {
  id: number;
  name: string;
}

@Injectable()
class ProbeService {
  constructor(private readonly db: ProbeDatabase) {}

  @Cacheable({ key: (id: number) => id, tags: (id: number) => [`probe:${id}`] })
  async get(id: number): Promise<Probe> {
    const { rows } = await this.db.pool.query<Probe>(`SELECT id, name FROM ${table.name} WHERE id = $1`, [id]);
    if (!rows[0]) throw new NotFoundException(`probe ${id} does not exist`);
    return rows[0];
  }

  @InvalidatesCache((_result: void, id: number) => [`probe:${id}`])
  async rename(id: number, name: string): Promise<void> {
    await this.db.pool.query(`UPDATE ${table.name} SET name = $2 WHERE id = $1`, [id, name]);
  }
}

let admin: Pool;
const apps: CacheTestApp[] = [];

/** The lookup @Cacheable makes for probe `id`, with the same query, for tests that call CacheService directly. */
function probeLookup(id: number) {
  const load = async (): Promise<Probe> => {
    const { rows } = await admin.query<Probe>(`SELECT id, name FROM ${table.name} WHERE id = $1`, [id]);
    if (!rows[0]) throw new NotFoundException(`probe ${id} does not exist`);
    return rows[0];
  };
  return { name: 'ProbeService.get', id: String(id), tags: [`probe:${id}`], load };
}

async function start(options: Partial<CacheTestAppOptions> & { namespace: string }): Promise<{ app: CacheTestApp; probe: ProbeService }> {
  const app = await startCacheApp({ providers: [ProbeService], ...options });
  apps.push(app);
  return { app, probe: app.app.get(ProbeService) };
}

/** Resolves with the value, or rejects if the call takes longer than `ms`: proves a request does not hang. */
function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms)));
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

beforeAll(async () => {
  admin = adminPool();
  table = new ProbeTable(admin);
  await table.create([
    { id: 1, name: 'first' },
    { id: 2, name: 'second' },
  ]);
});

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

afterAll(async () => {
  await table.drop();
  await admin.end();
});

describe('read-through', () => {
  it('misses once, then hits in this process and in another one', async () => {
    const namespace = uniqueName('cache');
    const a = await start({ namespace });
    const b = await start({ namespace });
    const before = await table.selects();

    expect(await a.probe.get(1)).toEqual({ id: 1, name: 'first' });
    expect(await a.probe.get(1)).toEqual({ id: 1, name: 'first' });
    expect(await b.probe.get(1)).toEqual({ id: 1, name: 'first' });
    expect(await table.selects()).toBe(before + 1);

    const local = await a.app.cache.lookup(probeLookup(1));
    expect([local.outcome, local.detail]).toEqual(['hit', 'local']);
  });

  it('gives each local hit its own copy, unless the lookup is read-only: then the same frozen entry, with no parse', async () => {
    const namespace = uniqueName('cache');
    const { app } = await start({ namespace });
    await app.cache.lookup(probeLookup(1));
    const [first, second] = [await app.cache.lookup(probeLookup(1)), await app.cache.lookup(probeLookup(1))];
    expect([first.detail, second.detail]).toEqual(['local', 'local']);
    expect(first.entry).toEqual(second.entry);
    expect(first.entry).not.toBe(second.entry);

    const readOnly = { ...probeLookup(2), readOnly: true };
    const miss = await app.cache.lookup(readOnly);
    const hits = [await app.cache.lookup(readOnly), await app.cache.lookup(readOnly)];
    expect([miss.outcome, ...hits.map((hit) => hit.detail)]).toEqual(['miss', 'local', 'local']);
    expect(hits[0].entry).toBe(hits[1].entry);
    expect(Object.isFrozen(hits[0].entry)).toBe(true);
    expect(hits[0].entry).toMatchObject({ kind: 'value', value: { id: 2, name: 'second' } });
  });

  it('loads again once an entry has expired', async () => {
    const namespace = uniqueName('cache');
    const { probe } = await start({ namespace, settings: { ttlMs: 300, staleMs: 0, jitterPercent: 0, localMaxEntries: 0 } });
    const before = await table.selects();
    await probe.get(2);
    await probe.get(2);
    expect(await table.selects()).toBe(before + 1);
    await eventually(async () => (await probe.get(2), (await table.selects()) === before + 2), 'the entry never expired', 5_000, 100);
  });

  it('caches "not found" briefly: a flood of misses for a missing id reaches the database once', async () => {
    const namespace = uniqueName('cache');
    const { probe } = await start({ namespace, settings: { notFoundTtlMs: 400, jitterPercent: 0 } });
    const before = await table.selects();
    const answers = await Promise.allSettled(Array.from({ length: 50 }, () => probe.get(404)));
    expect(
      answers.every(
        (answer) =>
          answer.status === 'rejected' && answer.reason instanceof Error && /probe 404 does not exist/.test(answer.reason.message),
      ),
    ).toBe(true);
    expect(answers.every((answer) => answer.status === 'rejected' && (answer.reason as { getStatus(): number }).getStatus() === 404)).toBe(
      true,
    );
    expect(await table.selects()).toBe(before + 1);
    // Short-lived: once it expires, the next request asks the database again.
    await eventually(
      async () => (await probe.get(404).catch(() => undefined), (await table.selects()) > before + 1),
      'the not-found entry never expired',
      5_000,
      100,
    );
  });

  it('serves a stale entry while one caller refreshes it in the background', async () => {
    const namespace = uniqueName('cache');
    const { app, probe } = await start({ namespace, settings: { ttlMs: 200, staleMs: 60_000, jitterPercent: 0, localMaxEntries: 0 } });
    const lookup = probeLookup(1);
    await probe.get(1);
    await admin.query(`UPDATE ${table.name} SET name = 'renamed behind the cache' WHERE id = 1`);
    try {
      const stale = await eventually(
        async () => {
          const result = await app.cache.lookup(lookup);
          return result.outcome === 'stale' ? result : undefined;
        },
        'the entry never went stale',
        5_000,
        50,
      );
      expect(stale.entry).toMatchObject({ kind: 'value', value: { name: 'first' } });
      // The refresh ran in the background; the next lookups get its result, fresh.
      await eventually(async () => {
        const result = await app.cache.lookup(lookup);
        return result.outcome === 'hit' && result.entry.kind === 'value' && result.entry.value.name === 'renamed behind the cache';
      }, 'the background refresh never landed');
    } finally {
      await admin.query(`UPDATE ${table.name} SET name = 'first' WHERE id = 1`);
    }
  });
});

describe('stampedes', () => {
  it('1,000 concurrent misses across 3 instances run the query once', async () => {
    const namespace = uniqueName('cache');
    const instances = await Promise.all([1, 2, 3].map(() => start({ namespace })));
    const before = await table.selects();
    const results = await Promise.all(Array.from({ length: 1_000 }, (_, i) => instances[i % 3].probe.get(2)));
    expect(new Set(results.map((result) => result.name))).toEqual(new Set(['second']));
    expect(await table.selects()).toBe(before + 1);
  });

  it('a hot entry that went stale is refreshed once across instances, while every caller is answered at once', async () => {
    const namespace = uniqueName('cache');
    const settings = { ttlMs: 300, staleMs: 60_000, jitterPercent: 0, localMaxEntries: 0 };
    const instances = await Promise.all([1, 2, 3].map(() => start({ namespace, settings })));
    await instances[0].probe.get(1);
    // reserve() reads without side effects: no refresh starts before the burst.
    await eventually(
      async () => (await instances[0].app.cache.reserve('ProbeService.get', '1', ['probe:1'])).entry === undefined,
      'the entry never went stale',
      5_000,
      50,
    );
    const before = await table.selects();
    const results = await Promise.all(Array.from({ length: 600 }, (_, i) => instances[i % 3].app.cache.lookup(probeLookup(1))));
    expect(results.every((result) => result.entry.kind === 'value' && result.entry.value.name === 'first')).toBe(true);
    expect(results.some((result) => result.outcome === 'stale')).toBe(true);
    // The refresh runs in the background: wait until a fresh entry is there, then count.
    await eventually(
      async () => (await instances[1].app.cache.lookup(probeLookup(1))).outcome === 'hit',
      'the refresh never landed',
      5_000,
      20,
    );
    expect(await table.selects()).toBe(before + 1);
  });

  it('without the guard (TENK_CACHE_STAMPEDE_GUARD=off) the same misses run it many times: what the guard prevents', async () => {
    const namespace = uniqueName('cache');
    const instances = await Promise.all([1, 2].map(() => start({ namespace, settings: { stampedeGuard: false, localMaxEntries: 0 } })));
    const before = await table.selects();
    await Promise.all(Array.from({ length: 200 }, (_, i) => instances[i % 2].probe.get(2)));
    expect(await table.selects()).toBeGreaterThan(before + 2);
  });
});

describe('invalidation', () => {
  it('a write invalidates the tag everywhere: the next read in any process, in-process tiers included, loads the new row', async () => {
    const namespace = uniqueName('cache');
    const a = await start({ namespace });
    const b = await start({ namespace });
    expect((await b.probe.get(1)).name).toBe('first');
    expect((await a.probe.get(1)).name).toBe('first');
    try {
      await a.probe.rename(1, 'renamed');
      // Process a sees its own write at once; b once the pub/sub message is in (sub-millisecond).
      expect((await a.probe.get(1)).name).toBe('renamed');
      await eventually(async () => (await b.probe.get(1)).name === 'renamed', 'process b kept the old entry');
    } finally {
      await a.probe.rename(1, 'first');
    }
  });

  it('a client that must see its own writes gets them at once in another process, before that process hears of the invalidation', async () => {
    const namespace = uniqueName('cache');
    let ownWrites = false;
    const b = await start({ namespace, mustSeeOwnWrites: () => ownWrites });
    // Generations are remembered once b's invalidation subscription is live.
    await eventually(async () => b.app.app.get(CacheRedis).subscriberLive, 'b never subscribed to invalidations');
    expect((await b.probe.get(1)).name).toBe('first');
    const redis = new Redis(redisConnection(config.redis.cache));
    try {
      // A write made through another instance, whose invalidation message has not reached b yet:
      // the row changed and the tag's generation moved on in Redis, with no PUBLISH.
      await admin.query(`UPDATE ${table.name} SET name = 'written' WHERE id = 1`);
      await redis.set(b.app.app.get(CacheKeys).generation('probe:1'), String(Date.now() * 2 + 1));
      // Everyone else is served what b remembers until the message comes (milliseconds, normally).
      expect((await b.probe.get(1)).name).toBe('first');
      ownWrites = true;
      expect((await b.probe.get(1)).name).toBe('written');
    } finally {
      await admin.query(`UPDATE ${table.name} SET name = 'first' WHERE id = 1`);
      await redis.quit();
    }
  });

  it('for settleMs after an invalidation every read goes to the database (a replica may lag), then the cache fills again', async () => {
    const namespace = uniqueName('cache');
    const { app, probe } = await start({ namespace, settings: { settleMs: 400 } });
    await probe.get(2);
    await probe.rename(2, 'second');
    const before = await table.selects();
    const settling = await app.cache.lookup(probeLookup(2));
    expect([settling.outcome, settling.detail]).toEqual(['bypass', 'settling']);
    await probe.get(2);
    expect(await table.selects()).toBe(before + 2);
    await eventually(
      async () => (await app.cache.lookup(probeLookup(2))).outcome === 'hit',
      'the cache never filled again after the settle window',
      5_000,
      100,
    );
  });

  it('an invalidation that cannot reach Redis is kept, read around in its process, and delivered when Redis is back', async () => {
    const namespace = uniqueName('cache');
    const proxy = await new TcpProxy({ host: config.redis.cache.host, port: config.redis.cache.port }).start();
    try {
      const a = await start({
        namespace,
        redis: { ...config.redis.cache, host: '127.0.0.1', port: proxy.port },
        settings: { breakerOpenMs: 300 },
      });
      const b = await start({ namespace });
      expect((await a.probe.get(2)).name).toBe('second');
      expect((await b.probe.get(2)).name).toBe('second');

      proxy.cut();
      await a.probe.rename(2, 'renamed while cut off');
      // a cannot tell Redis, so a reads the tag from the database itself...
      expect((await within(2_000, a.probe.get(2))).name).toBe('renamed while cut off');
      // ...and tells everyone once its path to Redis is back.
      proxy.restore();
      await eventually(
        async () => (await b.probe.get(2)).name === 'renamed while cut off',
        'the pending invalidation never reached the other process',
        10_000,
      );
    } finally {
      await admin.query(`UPDATE ${table.name} SET name = 'second' WHERE id = 2`);
      await proxy.stop();
    }
  });
});

describe('fail-open', () => {
  it('Redis stopped: every request is answered from the database without hanging, and caching resumes after the restart', async () => {
    const redis = await startEphemeralRedis();
    try {
      const { app, probe } = await start({
        namespace: uniqueName('cache'),
        redis: redis.endpoint,
        settings: { breakerOpenMs: 300, localMaxEntries: 0 },
      });
      await probe.get(1);
      const cached = await table.selects();
      await probe.get(1);
      expect(await table.selects()).toBe(cached);

      await redis.stop();
      for (let i = 0; i < 20; i++) expect(await within(2_000, probe.get(1))).toEqual({ id: 1, name: 'first' });
      expect(await table.selects()).toBeGreaterThanOrEqual(cached + 20);

      await redis.restart();
      const lookup = probeLookup(1);
      await eventually(
        async () => (await app.cache.lookup(lookup)).outcome === 'hit',
        'caching never resumed after Redis came back',
        15_000,
        100,
      );
      const resumed = await table.selects();
      await probe.get(1);
      expect(await table.selects()).toBe(resumed);
    } finally {
      await redis.stop();
    }
  });

  it('Redis down at boot: the app starts, serves from the database, and caches once Redis is up', async () => {
    const redis = await startEphemeralRedis();
    await redis.stop();
    try {
      const { app, probe } = await start({
        namespace: uniqueName('cache'),
        redis: redis.endpoint,
        settings: { breakerOpenMs: 300, localMaxEntries: 0 },
      });
      expect((await within(2_000, probe.get(2))).name).toBe('second');
      expect((await app.cache.lookup(probeLookup(2))).outcome).toBe('bypass');
      await redis.restart();
      await eventually(
        async () => (await app.cache.lookup(probeLookup(2))).outcome === 'hit',
        'caching never started once Redis was up',
        15_000,
        100,
      );
    } finally {
      await redis.stop();
    }
  });

  it('Redis slow (paused): requests go to the database after the Redis timeout instead of waiting for it', async () => {
    const redis = await startEphemeralRedis();
    const pauser = new Redis({ ...redisConnection(redis.endpoint), lazyConnect: true });
    try {
      const { probe } = await start({
        namespace: uniqueName('cache'),
        redis: redis.endpoint,
        settings: { redisTimeoutMs: 50, localMaxEntries: 0 },
      });
      await probe.get(2);
      await pauser.connect();
      await pauser.call('CLIENT', 'PAUSE', '6000', 'ALL');
      // Redis answers nothing for 6 s; each read is served well before that.
      for (let i = 0; i < 10; i++) expect((await within(2_000, probe.get(2))).name).toBe('second');
    } finally {
      pauser.disconnect();
      await redis.stop();
    }
  });
});

describe('the cache switch', () => {
  it('off: every read goes to the database; on again: cached', async () => {
    const { app, probe } = await start({ namespace: uniqueName('cache') });
    await probe.get(1);
    app.switches.cache = false;
    const before = await table.selects();
    for (let i = 0; i < 5; i++) await probe.get(1);
    expect(await table.selects()).toBe(before + 5);
    app.switches.cache = true;
    await probe.get(1);
    await probe.get(1);
    expect(await table.selects()).toBe(before + 5);
  });
});

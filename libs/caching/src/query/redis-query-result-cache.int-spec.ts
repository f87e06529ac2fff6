/**
 * TypeORM's query cache (`.cache(...)`) through RedisQueryResultCache on real PostgreSQL and
 * Redis: repeated queries stop reaching PostgreSQL, identifiers invalidate, and a dead Redis
 * only makes queries slower, never fail.
 */
import { DataSource } from 'typeorm';
import type { Pool } from 'pg';
import { eventually, startEphemeralRedis, uniqueName, type EphemeralRedis } from '@tenk/testing';
import { adminPool, config, ProbeTable, startCacheApp, type CacheTestApp } from '../testing/cache-test-app';
import { useQueryResultCache, type RedisQueryResultCache } from './redis-query-result-cache';

let admin: Pool;
let table: ProbeTable;

function dataSource(): DataSource {
  return new DataSource({
    type: 'postgres',
    host: config.postgres.primary.host,
    port: config.postgres.primary.port,
    username: config.postgres.user,
    password: config.postgres.password,
    database: config.postgres.catalogDatabase,
    extra: { max: 2 },
  });
}

interface Fixture {
  app: CacheTestApp;
  source: DataSource;
  queryCache: RedisQueryResultCache;
}

const open: Fixture[] = [];

async function fixture(options: { namespace?: string; redis?: EphemeralRedis } = {}): Promise<Fixture> {
  const app = await startCacheApp({
    namespace: options.namespace ?? uniqueName('sql'),
    redis: options.redis?.endpoint,
    settings: { breakerOpenMs: 300 },
  });
  const source = dataSource();
  const queryCache = useQueryResultCache(source, app.cache, { tags: ['catalog'] });
  await source.initialize();
  const made = { app, source, queryCache };
  open.push(made);
  return made;
}

function byName(source: DataSource, name: string, cache: boolean | number | string = true) {
  const builder = source
    .createQueryBuilder()
    .select(['t.id AS id', 't.name AS name'])
    .from(table.name, 't')
    .where('t.name = :name', { name });
  return (typeof cache === 'string' ? builder.cache(cache, 60_000) : builder.cache(cache)).getRawMany<{ id: number; name: string }>();
}

beforeAll(async () => {
  admin = adminPool();
  table = new ProbeTable(admin);
  await table.create([
    { id: 1, name: 'lamp' },
    { id: 2, name: 'lamp' },
    { id: 3, name: 'desk' },
  ]);
});

afterEach(async () => {
  for (const { app, source } of open.splice(0)) {
    await source.destroy();
    await app.close();
  }
});

afterAll(async () => {
  await table.drop();
  await admin.end();
});

describe('RedisQueryResultCache', () => {
  it('answers a repeated query from Redis: PostgreSQL runs it once', async () => {
    const { source } = await fixture();
    const before = await table.selects();
    const first = await byName(source, 'lamp');
    const second = await byName(source, 'lamp');
    expect(second).toEqual(first);
    expect(first).toHaveLength(2);
    expect(await table.selects()).toBe(before + 1);
    // Different parameters, different entry.
    expect(await byName(source, 'desk')).toEqual([{ id: 3, name: 'desk' }]);
    expect(await table.selects()).toBe(before + 2);
  });

  it('shares results between processes, and caches only queries that ask for it', async () => {
    const namespace = uniqueName('sql');
    const a = await fixture({ namespace });
    const b = await fixture({ namespace });
    const before = await table.selects();
    await byName(a.source, 'desk');
    await byName(b.source, 'desk');
    expect(await table.selects()).toBe(before + 1);
    await byName(b.source, 'desk', false);
    await byName(b.source, 'desk', false);
    expect(await table.selects()).toBe(before + 3);
  });

  it('remove(identifier) invalidates every query cached under it, in every process; a DataSource tag invalidates all', async () => {
    const namespace = uniqueName('sql');
    const a = await fixture({ namespace });
    const b = await fixture({ namespace });
    await byName(a.source, 'lamp', 'lamps');
    await byName(b.source, 'lamp', 'lamps');
    const before = await table.selects();
    await a.queryCache.remove(['lamps']);
    await byName(a.source, 'lamp', 'lamps');
    expect(await table.selects()).toBe(before + 1);
    // The DataSource's tag ('catalog') covers every query it cached.
    await a.app.cache.invalidate(['catalog']);
    await byName(a.source, 'lamp', 'lamps');
    expect(await table.selects()).toBe(before + 2);
  });

  it('clear() drops this cache only: nothing else in Redis is touched', async () => {
    const { app, source, queryCache } = await fixture();
    await byName(source, 'desk');
    const unrelated = await app.cache.getOrLoad({ name: 'unrelated', id: '1', load: async () => 'kept' });
    const before = await table.selects();
    await queryCache.clear();
    await byName(source, 'desk');
    expect(await table.selects()).toBe(before + 1);
    expect((await app.cache.lookup({ name: 'unrelated', id: '1', load: async () => 'reloaded' })).entry).toMatchObject({
      value: unrelated,
    });
  });

  it('with Redis stopped, cached queries still run (on PostgreSQL) and caching resumes after the restart', async () => {
    const redis = await startEphemeralRedis();
    try {
      const { source } = await fixture({ redis });
      await byName(source, 'lamp');
      await redis.stop();
      const before = await table.selects();
      for (let i = 0; i < 5; i++) expect(await byName(source, 'lamp')).toHaveLength(2);
      expect(await table.selects()).toBe(before + 5);
      await redis.restart();
      await eventually(
        async () => {
          const start = await table.selects();
          await byName(source, 'lamp');
          return (await table.selects()) === start;
        },
        'the query cache never served from Redis again after the restart',
        15_000,
        100,
      );
    } finally {
      await redis.stop();
    }
  });
});

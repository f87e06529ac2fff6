import { DEFAULT_PORTS } from './defaults';
import { isConfigError } from './config-error';
import { loadConfig } from './tenk-config';

describe('loadConfig', () => {
  it('uses the shared default ports when nothing is set', () => {
    const config = loadConfig({});
    expect(config.postgres.primary.port).toBe(DEFAULT_PORTS.postgresPrimary);
    expect(config.postgres.replica.port).toBe(DEFAULT_PORTS.postgresReplica);
    expect(config.redis.cache.port).toBe(DEFAULT_PORTS.redisCache);
    expect(config.kafka.brokers).toEqual([`127.0.0.1:${DEFAULT_PORTS.kafka}`]);
    expect(config.postgres.shardDatabases).toEqual(['shard_0', 'shard_1', 'shard_2', 'shard_3']);
  });

  it('reads overrides', () => {
    const config = loadConfig({ TENK_PG_PORT: '6000', TENK_KAFKA_BROKERS: 'a:1,b:2', TENK_SHUTDOWN_GRACE: '2s' });
    expect(config.postgres.primary.port).toBe(6000);
    expect(config.kafka.brokers).toEqual(['a:1', 'b:2']);
    expect(config.runtime.shutdownGraceMs).toBe(2000);
  });

  it('names every bad variable in one error', () => {
    let caught: unknown;
    try {
      loadConfig({ TENK_PG_PORT: 'abc', TENK_PAYMENT_URL: 'ftp://x', TENK_API_INSTANCES: '0' });
    } catch (error) {
      caught = error;
    }
    expect(isConfigError(caught)).toBe(true);
    const message = (caught as Error).message;
    expect(message).toContain('TENK_PG_PORT="abc": expected a TCP port number (1-65535)');
    expect(message).toContain('TENK_PAYMENT_URL="ftp://x"');
    expect(message).toContain('TENK_API_INSTANCES="0"');
    expect(message).toMatch(/3 problems/);
  });

  it('refuses two services on one port', () => {
    expect(() => loadConfig({ TENK_REDIS_QUEUE_PORT: String(DEFAULT_PORTS.redisCache) })).toThrow(
      /TENK_REDIS_QUEUE_PORT="56379": the same port as TENK_REDIS_CACHE_PORT/,
    );
  });

  it('puts shards on the primary unless TENK_SHARD_HOSTS says otherwise', () => {
    expect(loadConfig({}).postgres.shardEndpoints['shard_2']).toEqual({ host: '127.0.0.1', port: DEFAULT_PORTS.postgresPrimary });
    const config = loadConfig({ TENK_SHARD_HOSTS: 'shard_0=db-a.internal:6432, shard_3=db-d.internal' });
    expect(config.postgres.shardEndpoints['shard_0']).toEqual({ host: 'db-a.internal', port: 6432 });
    expect(config.postgres.shardEndpoints['shard_3']).toEqual({ host: 'db-d.internal', port: DEFAULT_PORTS.postgresPrimary });
    expect(config.postgres.shardEndpoints['shard_1']).toEqual(config.postgres.primary);
    expect(() => loadConfig({ TENK_SHARD_HOSTS: 'shard_9=db:5432' })).toThrow(/"shard_9" is not in TENK_SHARD_DATABASES/);
    expect(() => loadConfig({ TENK_SHARD_HOSTS: 'shard_0:db' })).toThrow(/is not shard=host\[:port\]/);
  });

  it('allows one port on two hosts (containers)', () => {
    const config = loadConfig({
      TENK_REDIS_CACHE_HOST: 'redis-cache',
      TENK_REDIS_CACHE_PORT: '6379',
      TENK_REDIS_QUEUE_HOST: 'redis-queue',
      TENK_REDIS_QUEUE_PORT: '6379',
    });
    expect(config.redis.queue).toMatchObject({ host: 'redis-queue', port: 6379 });
  });

  it('rejects malformed broker lists and durations', () => {
    expect(() => loadConfig({ TENK_KAFKA_BROKERS: 'localhost' })).toThrow(/TENK_KAFKA_BROKERS="localhost": expected host:port/);
    expect(() => loadConfig({ TENK_SHUTDOWN_GRACE: 'soon' })).toThrow(/TENK_SHUTDOWN_GRACE="soon": expected a duration/);
  });
});

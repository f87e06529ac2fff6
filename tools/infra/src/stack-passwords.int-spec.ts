/**
 * The stack's passwords, on real servers of its own (a temporary TENK_STATE_DIR, free ports;
 * the shared stack is never touched): a stack started before tools/infra set passwords (no
 * .tenk/secrets.env: Redis without one, PostgreSQL with the old fixed `tenk`) holds data; the
 * next `up` generates this machine's passwords (0600) and applies them in place. Afterwards a
 * client without the password is refused by Redis and PostgreSQL, a client with it (from
 * loadConfig, as every tenk process) reads the data written before, and the replica still
 * streams from the primary with the new replication password.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis, { type RedisOptions } from 'ioredis';
import { Client } from 'pg';
import { loadConfig, redisConnection, stackSecretsPath, type TenkConfig } from '@tenk/config';
import { eventually, freePort } from '@tenk/testing';
import { ensureStackSecrets } from './secrets';
import { superuserQuery } from './services/postgres';
import { down, status, up } from './stack';

const SERVICES = ['postgres-primary', 'postgres-replica', 'redis-cache', 'redis-queue'];

describe('stack passwords: an existing password-less stack upgraded in place by the next up', () => {
  const state = mkdtempSync(path.join(os.tmpdir(), 'tenk-pw-'));
  let env: Record<string, string>;
  let before: TenkConfig;
  let after: TenkConfig;
  const lines: string[] = [];
  const log = (service: string, line: string) => lines.push(`${service}: ${line}`);

  const pg = (config: TenkConfig, role: 'primary' | 'replica', password = config.postgres.password) =>
    new Client({
      host: '127.0.0.1',
      port: config.postgres[role].port,
      user: config.postgres.user,
      password,
      database: config.postgres.catalogDatabase,
      connectionTimeoutMillis: 5_000,
    });
  const redis = (options: RedisOptions) => {
    // No ready check: the refusal comes back on the command itself.
    const client = new Redis({
      ...options,
      lazyConnect: true,
      enableReadyCheck: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => undefined);
    return client;
  };

  beforeAll(async () => {
    env = {
      TENK_STATE_DIR: state,
      TENK_PG_PORT: String(await freePort()),
      TENK_PG_REPLICA_PORT: String(await freePort()),
      TENK_REDIS_CACHE_PORT: String(await freePort()),
      TENK_REDIS_QUEUE_PORT: String(await freePort()),
      TENK_KAFKA_PORT: String(await freePort()),
      TENK_KAFKA_CONTROLLER_PORT: String(await freePort()),
    };
    // The stack as an older tools/infra left it: no secrets file.
    before = loadConfig(env);
    expect(before.redis.queue.password).toBeUndefined();
    expect(before.postgres.password).toBe('tenk');
    await up(before, SERVICES, log);
  }, 180_000);

  afterAll(async () => {
    await down(loadConfig(env), SERVICES, log).catch(() => undefined);
    rmSync(state, { recursive: true, force: true });
  }, 60_000);

  it('is password-less before (what a stack from before looks like), and holds data', async () => {
    const open = redis(redisConnection(before.redis.queue));
    await open.connect();
    await open.set('tenk:sess:upgrade-probe', 'kept');
    await open.rpush('bull:video:wait', 'job-1');
    open.disconnect();
    const primary = pg(before, 'primary');
    await primary.connect();
    await primary.query('CREATE TABLE upgrade_probe (note text)');
    await primary.query("INSERT INTO upgrade_probe VALUES ('written before the upgrade')");
    await primary.end();
  });

  it('generates the passwords once, mode 0600, and applies them to the running servers on up, keeping the data', async () => {
    const pids = Object.fromEntries((await status(before)).map((row) => [row.name, row.pid]));
    ensureStackSecrets(state, (line) => log('secrets', line));
    expect(statSync(stackSecretsPath(state)).mode & 0o777).toBe(0o600);
    after = loadConfig(env);
    expect(after.redis.queue.password).toMatch(/^[0-9a-f]{48}$/);
    expect(after.redis.cache.password).toBe(after.redis.queue.password);
    expect(after.postgres.password).toMatch(/^[0-9a-f]{48}$/);
    await up(after, SERVICES, log);
    expect(lines.join('\n')).toMatch(/redis-queue: had no password: set one in place/);
    expect(lines.join('\n')).toMatch(/postgres-primary: the tenk and replicator roles now sign in with this machine's password/);
    // In place: the same processes, no restart.
    // (The replica's walreceiver restarts with its new conninfo: healthy again within moments.)
    let rows = await status(after);
    await eventually(
      async () => (rows = await status(after)).filter((row) => SERVICES.includes(row.name)).every((row) => row.healthy),
      'the upgraded stack never became healthy',
      30_000,
    );
    for (const row of rows.filter((r) => SERVICES.includes(r.name))) expect([row.name, row.pid]).toEqual([row.name, pids[row.name]]);
    expect(rows.find((row) => row.name === 'redis-queue')?.detail).toMatch(/, password$/);

    // A second up changes nothing and says nothing about passwords.
    const said = lines.length;
    ensureStackSecrets(state, (line) => log('secrets', line));
    await up(loadConfig(env), SERVICES, log);
    expect(lines.slice(said).filter((line) => /password/.test(line))).toEqual([]);
    expect(loadConfig(env).postgres.password).toBe(after.postgres.password);
  }, 120_000);

  it('refuses a Redis client without the password, on both servers', async () => {
    for (const endpoint of [after.redis.queue, after.redis.cache]) {
      const anonymous = redis({ host: '127.0.0.1', port: endpoint.port });
      await expect(anonymous.connect().then(() => anonymous.get('tenk:sess:upgrade-probe'))).rejects.toThrow(/NOAUTH/);
      anonymous.disconnect();
      const guessing = redis({ host: '127.0.0.1', port: endpoint.port });
      await guessing.connect();
      await expect(guessing.call('AUTH', 'not-the-password')).rejects.toThrow(/WRONGPASS/);
      await expect(guessing.get('tenk:sess:upgrade-probe')).rejects.toThrow(/NOAUTH/);
      guessing.disconnect();
    }
  });

  it('gives a client with the configured password the data written before', async () => {
    const client = redis(redisConnection(after.redis.queue));
    await client.connect();
    expect(await client.get('tenk:sess:upgrade-probe')).toBe('kept');
    expect(await client.lrange('bull:video:wait', 0, -1)).toEqual(['job-1']);
    client.disconnect();
  });

  it('refuses a PostgreSQL client without the password or with the old one, on the primary and the replica', async () => {
    for (const role of ['primary', 'replica'] as const) {
      const none = new Client({
        host: '127.0.0.1',
        port: after.postgres[role].port,
        user: 'tenk',
        database: after.postgres.catalogDatabase,
        connectionTimeoutMillis: 5_000,
      });
      // The server asks for SCRAM; a client with no password cannot answer it.
      await expect(none.connect()).rejects.toThrow(/password/);
      await none.end().catch(() => undefined);
      const old = pg(after, role, 'tenk');
      await expect(old.connect()).rejects.toThrow(/password authentication failed for user "tenk"/);
      await old.end().catch(() => undefined);
    }
  });

  it('keeps the data and the streaming replica, which signs in with the new replication password', async () => {
    const primary = pg(after, 'primary');
    await primary.connect();
    expect((await primary.query<{ note: string }>('SELECT note FROM upgrade_probe')).rows).toEqual([
      { note: 'written before the upgrade' },
    ]);
    await primary.query("INSERT INTO upgrade_probe VALUES ('written after')");
    // The walreceiver reconnected with the new primary_conninfo: a write after the upgrade arrives.
    const replica = pg(after, 'replica');
    await replica.connect();
    await eventually(
      async () => (await replica.query('SELECT 1 FROM upgrade_probe WHERE note = $1', ['written after'])).rowCount === 1,
      'the replica never received the write made after the upgrade',
      30_000,
    );
    const streaming = await primary.query<{ usename: string; state: string }>('SELECT usename, state FROM pg_stat_replication');
    expect(streaming.rows).toEqual([{ usename: 'replicator', state: 'streaming' }]);
    await Promise.all([primary.end(), replica.end()]);
  });

  it('upgrades a stack from before that was stopped, on its next up', async () => {
    // Back to how an older tools/infra left it (old role password, Redis without one, the
    // replica streaming with the old password, no secrets file), then stopped.
    await superuserQuery(
      after,
      after.postgres.primary.port,
      'postgres',
      "ALTER ROLE tenk WITH PASSWORD 'tenk'; ALTER ROLE replicator WITH PASSWORD 'tenk'",
    );
    const conninfo = await superuserQuery(after, after.postgres.replica.port, 'postgres', 'SHOW primary_conninfo');
    await superuserQuery(
      after,
      after.postgres.replica.port,
      'postgres',
      `ALTER SYSTEM SET primary_conninfo = '${conninfo.replace(/password=\S+/, 'password=tenk')}'`,
    );
    const queue = redis(redisConnection(after.redis.queue));
    await queue.connect();
    await queue.config('SET', 'requirepass', '');
    queue.disconnect();
    rmSync(stackSecretsPath(state));
    await down(loadConfig(env), SERVICES, log);
    const old = loadConfig(env);
    expect(old.postgres.password).toBe('tenk');

    ensureStackSecrets(state, (line) => log('secrets', line));
    const upgraded = loadConfig(env);
    expect(upgraded.postgres.password).not.toBe(after.postgres.password);
    await up(upgraded, SERVICES, log);
    await eventually(
      async () => (await status(upgraded)).filter((row) => SERVICES.includes(row.name)).every((row) => row.healthy),
      'the restarted stack never became healthy',
      30_000,
    );

    const anonymous = redis({ host: '127.0.0.1', port: upgraded.redis.queue.port });
    await anonymous.connect();
    await expect(anonymous.get('tenk:sess:upgrade-probe')).rejects.toThrow(/NOAUTH/);
    anonymous.disconnect();
    const client = redis(redisConnection(upgraded.redis.queue));
    await client.connect();
    // The queue Redis keeps its data on disk (AOF): a restart loses nothing.
    expect(await client.get('tenk:sess:upgrade-probe')).toBe('kept');
    client.disconnect();
    const primary = pg(upgraded, 'primary');
    await primary.connect();
    await primary.query("INSERT INTO upgrade_probe VALUES ('after the restart')");
    const replica = pg(upgraded, 'replica');
    await replica.connect();
    await eventually(
      async () => (await replica.query('SELECT 1 FROM upgrade_probe WHERE note = $1', ['after the restart'])).rowCount === 1,
      'the restarted replica never streamed',
      30_000,
    );
    await Promise.all([primary.end(), replica.end()]);
    await expect(pg(upgraded, 'primary', 'tenk').connect()).rejects.toThrow(/password authentication failed/);
  }, 120_000);
});

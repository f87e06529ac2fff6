/**
 * The parts are real: each test talks to the service tools/infra started and checks
 * behaviour only the real thing has.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import Queue from 'bull';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import Redis from 'ioredis';
import nodemailer from 'nodemailer';
import { loadConfig, redisConnection } from '@tenk/config';
import { eventually, TestTopic, uniqueName } from '@tenk/testing';

const config = loadConfig();

function pg(role: 'primary' | 'replica', database = config.postgres.catalogDatabase): Client {
  const endpoint = config.postgres[role];
  return new Client({ host: endpoint.host, port: endpoint.port, user: config.postgres.user, password: config.postgres.password, database });
}

describe('PostgreSQL primary + streaming replica', () => {
  const primary = pg('primary');
  const replica = pg('replica');
  const table = uniqueName('replication_probe');

  beforeAll(async () => {
    await Promise.all([primary.connect(), replica.connect()]);
    await primary.query(`CREATE TABLE ${table} (id int PRIMARY KEY, note text)`);
  });
  afterAll(async () => {
    await primary.query(`DROP TABLE IF EXISTS ${table}`);
    await Promise.all([primary.end(), replica.end()]);
  });

  it('replays a row written on the primary once the replica passes the write WAL position', async () => {
    await primary.query(`INSERT INTO ${table} VALUES (1, 'hello replica')`);
    const { rows } = await primary.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    const writeLsn = rows[0].lsn;
    // Wait for replay past the write (not a sleep): the replica reports how far it has replayed.
    await eventually(async () => {
      const replayed = await replica.query<{ caught_up: boolean }>('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS caught_up', [
        writeLsn,
      ]);
      return replayed.rows[0].caught_up;
    }, 'the replica never replayed the write');
    const read = await replica.query<{ note: string }>(`SELECT note FROM ${table} WHERE id = 1`);
    expect(read.rows[0]?.note).toBe('hello replica');
  });

  it('is a read-only standby that refuses writes', async () => {
    const recovery = await replica.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby');
    expect(recovery.rows[0].standby).toBe(true);
    await expect(replica.query(`INSERT INTO ${table} VALUES (2, 'nope')`)).rejects.toThrow(/read-only transaction/);
  });

  it('has every shard database and pg_stat_statements', async () => {
    const { rows } = await primary.query<{ datname: string }>('SELECT datname FROM pg_database');
    expect(rows.map((row) => row.datname)).toEqual(
      expect.arrayContaining([config.postgres.catalogDatabase, ...config.postgres.shardDatabases]),
    );
    const statements = await primary.query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_statements');
    expect(Number(statements.rows[0].n)).toBeGreaterThan(0);
  });
});

describe('Kafka (one KRaft node)', () => {
  it('delivers a produced message to a consumer group', async () => {
    const topic = await TestTopic.create({ brokers: config.kafka.brokers, name: uniqueName('int_probe'), clientId: 'tenk-int-test' });
    const consumer = new Kafka({ clientId: 'tenk-int-test', brokers: config.kafka.brokers, logLevel: logLevel.NOTHING }).consumer({
      groupId: uniqueName('int_group'),
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: topic.name, fromBeginning: true });
      const received: string[] = [];
      await consumer.run({
        eachMessage: async ({ message }) => void received.push(`${message.key?.toString()}=${message.value?.toString()}`),
      });
      await topic.send([
        { key: 'order-1', value: 'placed' },
        { key: 'order-2', value: 'placed' },
      ]);
      await eventually(() => received.length === 2, 'the consumer group did not receive both messages', 30_000);
      expect(received.sort()).toEqual(['order-1=placed', 'order-2=placed']);
    } finally {
      await consumer.disconnect().catch(() => undefined);
      await topic.delete();
    }
  });
});

describe('Bull on the queue Redis', () => {
  it('processes in another process a job added by this one', async () => {
    const name = uniqueName('int_queue');
    const worker = spawn(
      process.execPath,
      ['-r', path.resolve(__dirname, '../../register.cjs'), path.join(__dirname, 'fixtures/bull-worker.ts'), name],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const queue = new Queue(name, { redis: redisConnection(config.redis.queue), prefix: 'tenk-test' });
    try {
      await new Promise<void>((resolve) => worker.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve()));
      const job = await queue.add({ n: 21 });
      const result = (await job.finished()) as { doubled: number; pid: number };
      expect(result.doubled).toBe(42);
      expect(result.pid).toBe(worker.pid);
      expect(result.pid).not.toBe(process.pid);
    } finally {
      worker.kill('SIGTERM');
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });

  it('runs with noeviction and AOF, as jobs need', async () => {
    const redis = new Redis(redisConnection(config.redis.queue));
    try {
      expect(await redis.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
      expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    } finally {
      redis.disconnect();
    }
  });
});

describe('the cache Redis', () => {
  it('reads back a value it was given, and is configured to evict by LRU', async () => {
    const redis = new Redis(redisConnection(config.redis.cache));
    const key = uniqueName('int:cache');
    try {
      await redis.set(key, 'cached', 'PX', 10_000);
      expect(await redis.get(key)).toBe('cached');
      expect(await redis.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'allkeys-lru']);
    } finally {
      await redis.del(key);
      redis.disconnect();
    }
  });
});

describe('the SMTP sink', () => {
  it('keeps a mail sent over SMTP and shows it over HTTP', async () => {
    const to = `${uniqueName('rcpt')}@example.test`;
    const transport = nodemailer.createTransport({
      host: config.mail.smtp.host,
      port: config.mail.smtp.port,
      secure: false,
      ignoreTLS: true,
    });
    await transport.sendMail({ from: config.mail.from, to, subject: 'Integration probe', text: 'plain part', html: '<p>html part</p>' });
    const sinkUrl = `http://127.0.0.1:${config.mail.sinkHttpPort}`;
    const [summary] = await eventually(async () => {
      const list = (await (await fetch(`${sinkUrl}/messages?to=${encodeURIComponent(to)}`)).json()) as Array<{
        id: string;
        subject: string;
      }>;
      return list.length > 0 ? list : undefined;
    }, 'the sink never listed the mail');
    expect(summary.subject).toBe('Integration probe');
    const message = (await (await fetch(`${sinkUrl}/messages/${summary.id}`)).json()) as { text: string; html: string; to: string[] };
    expect(message.to).toEqual([to]);
    expect(message.text.trim()).toBe('plain part');
    expect(message.html).toContain('<p>html part</p>');
  });
});

import { setTimeout as sleep } from 'node:timers/promises';
import Redis from 'ioredis';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { Agent, request } from 'undici';
import { createAccount, User } from '@tenk/accounts';
import { redisConnection, type TenkConfig } from '@tenk/config';
import { createScratchDatabases } from '@tenk/database';
import type { Shop } from '@tenk/shop';
import { startEphemeralRedis, uniqueName, type EphemeralRedis } from '@tenk/testing';
import type { LabContext } from '../experiment';
import { startLabShop, waitForFreeLabPorts } from '../lab-shop';
import { LAB_CATEGORIES } from './cache-workload';

/**
 * What the cache experiments run on: a catalog database of their own (so pg_stat_statements
 * counts their queries and nobody else's), private Redis servers for the cache and for the
 * queues and switches (so a switch set here changes no other shop), and the lab shop
 * (2 api instances behind the balancer) started fresh, with a cold cache, for each run.
 */

export interface LabCatalog {
  database: string;
  /** Variables that point a shop at this catalog and its shards. */
  env: Record<string, string>;
  drop(): Promise<void>;
}

/** A scratch catalog (and shards) with `products` products, ids 1..products. */
export async function createLabCatalog(context: LabContext, products: number): Promise<LabCatalog> {
  const started = Date.now();
  const scratch = await createScratchDatabases(context.config, { name: uniqueName('lab_cache'), shards: 2 });
  const client = pgClient(scratch.config, 'primary', scratch.catalog);
  await client.connect();
  try {
    await client.query(
      `INSERT INTO products (sku, name, description, category, price_cents, stock)
       SELECT 'SKU-' || lpad(i::text, 6, '0'),
              (ARRAY['Sturdy','Compact','Classic','Bright','Quiet','Rapid','Gentle','Bold'])[1 + i % 8] || ' ' ||
              (ARRAY['Mug','Kettle','Lamp','Rake','Drill','Kite','Chair','Tent','Atlas','Drum'])[1 + i % 10] || ' ' || i,
              'A product of the lab catalog.',
              ($2::text[])[1 + i % ${LAB_CATEGORIES.length}],
              199 + (i * 7919) % 20000,
              1000000
       FROM generate_series(1, $1::int) AS i`,
      [products, LAB_CATEGORIES],
    );
  } finally {
    await client.end();
  }
  context.log(
    `catalog database ${scratch.catalog}: migrated and seeded with ${products} products in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return {
    database: scratch.catalog,
    env: { TENK_PG_DATABASE: scratch.catalog, TENK_SHARD_DATABASES: scratch.shards.join(',') },
    drop: scratch.drop,
  };
}

export interface CacheLabShop {
  /** The balancer. */
  origin: string;
  apis: string[];
  stop(): Promise<void>;
}

/** The lab shop on `catalog`, with its own (empty) cache Redis and queue Redis. */
export async function startCacheLabShop(context: LabContext, catalog: LabCatalog, env: Record<string, string>): Promise<CacheLabShop> {
  await waitForFreeLabPorts(context);
  const redis: EphemeralRedis[] = [];
  let shop: Shop | undefined;
  const stop = async () => {
    await shop?.stop();
    for (const server of redis) await server.stop();
  };
  try {
    const cacheRedis = await startEphemeralRedis(['--maxmemory', '256mb', '--maxmemory-policy', 'allkeys-lru']);
    redis.push(cacheRedis);
    const queueRedis = await startEphemeralRedis(['--maxmemory-policy', 'noeviction']);
    redis.push(queueRedis);
    shop = await startLabShop(context, {
      apiInstances: 2,
      components: ['payment-sim', 'api', 'balancer'],
      env: { ...catalog.env, TENK_REDIS_CACHE_PORT: String(cacheRedis.port), TENK_REDIS_QUEUE_PORT: String(queueRedis.port), ...env },
    });
    await expectOwnApis(cacheRedis, 2);
    const crashed = [...shop.processes.values()].filter((process) => process.state === 'crashed').map((process) => process.spec.name);
    if (crashed.length > 0) throw new Error(`${crashed.join(', ')} of the lab shop exited (a port taken by another run?); see .tenk/logs`);
    return { origin: shop.urls.shop, apis: shop.urls.apis, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * The lab ports are shared by every lab run on this machine: make sure the api instances that
 * answer are this run's (connected to this run's own cache Redis), not another run's.
 */
async function expectOwnApis(cacheRedis: EphemeralRedis, instances: number): Promise<void> {
  const client = new Redis({ ...redisConnection(cacheRedis.endpoint), lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    const list = (await client.call('CLIENT', 'LIST')) as string;
    const connected = list.split('\n').filter((line) => / name=tenk-cache /.test(` ${line} `)).length;
    if (connected < instances)
      throw new Error(
        `only ${connected} of ${instances} api instances use this run's cache Redis: another lab run holds the lab ports; run again when it is done`,
      );
  } finally {
    client.disconnect();
  }
}

/** SELECTs on `products` PostgreSQL ran in `database`, on the primary and on the replica (pg_stat_statements). */
export async function productSelects(config: TenkConfig, database: string): Promise<{ primary: number; replica: number }> {
  const count = async (role: 'primary' | 'replica') => {
    const client = pgClient(config, role, config.postgres.catalogDatabase);
    await client.connect();
    try {
      const { rows } = await client.query<{ calls: string }>(
        `SELECT coalesce(sum(calls), 0) AS calls FROM pg_stat_statements
         WHERE dbid = (SELECT oid FROM pg_database WHERE datname = $1) AND query ILIKE 'select%' AND query ILIKE '%products%'`,
        [database],
      );
      return Number(rows[0].calls);
    } finally {
      await client.end();
    }
  };
  const [primary, replica] = await Promise.all([count('primary'), count('replica')]);
  return { primary, replica };
}

export interface MetricSample {
  labels: Record<string, string>;
  value: number;
}

/** The samples of one Prometheus metric, from every api instance. */
export async function scrape(apis: string[], metric: string): Promise<MetricSample[]> {
  const samples: MetricSample[] = [];
  for (const api of apis) {
    const response = await request(`${api}/metrics`);
    const text = await response.body.text();
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${metric}{`)) continue;
      const match = /^[^{]+\{(.*)\}\s+(\S+)$/.exec(line);
      if (!match) continue;
      const labels = Object.fromEntries([...match[1].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, name, value]) => [name, value]));
      samples.push({ labels, value: Number(match[2]) });
    }
  }
  return samples;
}

export function sum(samples: MetricSample[], where: (labels: Record<string, string>) => boolean): number {
  return samples.filter((sample) => where(sample.labels)).reduce((total, sample) => total + sample.value, 0);
}

/** Fails the run if an api does not report the `cache` switch as expected (it lives in this run's own queue Redis). */
export async function expectCacheSwitch(apis: string[], on: boolean): Promise<void> {
  const states = await scrape(apis, 'tenk_pattern_switch');
  for (const sample of states.filter((item) => item.labels['switch'] === 'cache')) {
    if ((sample.value === 1) !== on)
      throw new Error(`an api instance reports the cache switch ${sample.value === 1 ? 'on' : 'off'}, expected ${on ? 'on' : 'off'}`);
  }
}

/** A client (not yet connected) for `database` on the primary or the replica. */
export function pgClient(config: TenkConfig, role: 'primary' | 'replica', database: string): Client {
  const endpoint = config.postgres[role];
  return new Client({ host: endpoint.host, port: endpoint.port, user: config.postgres.user, password: config.postgres.password, database });
}

/** `200 x 980, 503 x 20, no answer x 3`: what the load got back. */
export function statusCounts(samples: Array<{ status: number }>): string {
  const counts = new Map<number, number>();
  for (const { status } of samples) counts.set(status, (counts.get(status) ?? 0) + 1);
  return [...counts.entries()]
    .sort(([a], [b]) => a - b)
    .map(([status, count]) => `${status === 0 ? 'no answer' : status} x ${count}`)
    .join(', ');
}

export interface ReadSample {
  /** 0: no HTTP answer (connection error, client timeout). */
  status: number;
  latencyMs: number;
}

export interface ReadLoadOptions {
  origin: string;
  /** Requests per second, sent on a 10 ms tick whatever the answers (open loop: shoppers keep coming). */
  ratePerSecond: number;
  durationMs: number;
  /** Distinct client addresses (127.0.1.1, 127.0.1.2, ...): the balancer limits requests per client address. */
  clients: number;
  next: () => string;
  timeoutMs?: number;
}

/** GETs at a fixed rate from many client addresses; every request's status and latency. */
export async function runReadLoad(options: ReadLoadOptions): Promise<ReadSample[]> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  // undici takes the source address as a top-level option (inside `connect` it is ignored).
  const agents = Array.from(
    { length: options.clients },
    (_, i) =>
      new Agent({
        localAddress: `127.0.${1 + Math.floor(i / 250)}.${(i % 250) + 1}`,
        keepAliveTimeout: 10_000,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      }),
  );
  const samples: ReadSample[] = [];
  const pending = new Set<Promise<void>>();
  const started = performance.now();
  let sent = 0;
  try {
    while (performance.now() - started < options.durationMs) {
      const due = Math.floor(((performance.now() - started) / 1000) * options.ratePerSecond);
      for (; sent < due; sent++) {
        const sentAt = performance.now();
        const done: Promise<void> = request(`${options.origin}${options.next()}`, {
          dispatcher: agents[sent % agents.length],
          signal: AbortSignal.timeout(timeoutMs),
        })
          .then(async (response) => {
            await response.body.dump();
            return response.statusCode;
          })
          .catch(() => 0)
          .then((status) => {
            samples.push({ status, latencyMs: performance.now() - sentAt });
            pending.delete(done);
          });
        pending.add(done);
      }
      await sleep(10);
    }
    await Promise.all(pending);
  } finally {
    await Promise.all(agents.map((agent) => agent.close()));
  }
  return samples;
}

/**
 * A run where requests failed measured an overloaded machine (or a broken shop), not the
 * pattern: refuse to report it, so the committed results are never replaced by such a run.
 */
export function expectHealthyRun(label: string, samples: Array<{ status: number }>): void {
  const failed = samples.filter((sample) => sample.status !== 200).length;
  if (failed > samples.length * 0.01) {
    throw new Error(
      `${label}: ${failed} of ${samples.length} requests failed (${statusCounts(samples)}); the machine is probably overloaded (see uptime and .tenk/logs/lab/balancer.log): run it again when it is quieter`,
    );
  }
}

/** An admin account in the experiment's catalog, to change products through the api. */
export async function createLabAdmin(config: TenkConfig, catalog: LabCatalog): Promise<{ email: string; password: string }> {
  const email = `${uniqueName('lab-admin')}@example.com`;
  const password = 'a lab admin password';
  const accounts = new DataSource({
    type: 'postgres',
    host: config.postgres.primary.host,
    port: config.postgres.primary.port,
    username: config.postgres.user,
    password: config.postgres.password,
    database: catalog.database,
    entities: [User],
  });
  await accounts.initialize();
  await createAccount(accounts, { email, name: 'lab admin', password, role: 'admin' });
  await accounts.destroy();
  return { email, password };
}

/** Keeps the cookies the api sets (the session, and tenk_lsn: the position of the last write). */
export class CookieClient {
  readonly #cookies = new Map<string, string>();

  constructor(readonly origin: string) {}

  async send(method: string, route: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.#cookies.size > 0) headers['cookie'] = [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(`${this.origin}${route}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const [name, ...value] = pair.split('=');
      this.#cookies.set(name.trim(), value.join('='));
    }
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  }
}

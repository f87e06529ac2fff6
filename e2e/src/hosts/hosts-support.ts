/**
 * The hosts drills' tools: the many-host stack (built by `npm run hosts -- up` in a child
 * process, so this process's environment stays the e2e shop's), its shop, customers of it,
 * a steady stream of orders, and the results file.
 */
import { execFile, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { MAIL_KEYS } from '@tenk/contracts';
import { bucketOfCustomer, catalogPrimaryClient, type ShardMap } from '@tenk/database';
import { apiInstances, host, hostsConfig, hostsEnv, HOSTS, hostsStateDir, SHARD_SERVERS, type HostName } from '@tenk/hosts';
import { ensureStackSecrets } from '@tenk/infra';
import { renderHostsChart, type HostsResults } from '@tenk/lab';
import { uniqueName } from '@tenk/testing';
import { Session } from '../queues-support';

const ROOT = path.resolve(__dirname, '../../..');
// The stack's passwords first: on a fresh checkout `npm run hosts -- up` would make them only
// later, and this config would hold the default password its servers do not have.
ensureStackSecrets(hostsStateDir(), () => undefined);
export const config = hostsConfig();
export const SHOP = `http://127.0.0.1:${config.services.balancerPort}`;
const SINK = `http://${host('workers').address}:${config.mail.sinkHttpPort}`;

/** Runs a tool of this checkout (`node -r tools/register.cjs <entry> <args>`) and throws with its output when it fails. */
function runTool(entry: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const result = spawnSync(process.execPath, ['-r', path.join(ROOT, 'tools/register.cjs'), path.join(ROOT, entry), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env,
  });
  if (result.status !== 0) throw new Error(`${entry} ${args.join(' ')} exited with ${result.status}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** Runs `npm run hosts -- <args>`. */
export function hosts(...args: string[]): string {
  return runTool('tools/hosts/src/main.ts', args);
}

/**
 * Runs `npm run shards -- <args>` against the hosts' databases (the shard map on pg-primary,
 * the shards on shard-a and shard-b). Asynchronously: the drills' order streams keep going
 * while a bucket moves.
 */
export function shards(...args: string[]): Promise<string> {
  const entry = 'tools/shards/src/main.ts';
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['-r', path.join(ROOT, 'tools/register.cjs'), path.join(ROOT, entry), ...args],
      { cwd: ROOT, env: { ...process.env, ...hostsEnv() }, encoding: 'utf8' },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${entry} ${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`)) : resolve(stdout),
    );
  });
}

export async function newCustomer(label: string): Promise<Session> {
  const session = new Session(SHOP);
  const email = `${uniqueName(label).replace(/_/g, '-')}@hosts.test`;
  const signup = await session.request<Session['user']>('POST', '/users', {
    json: { email, name: `Hosts ${label}`, password: 'hosts drill password' },
  });
  if (signup.status !== 201) throw new Error(`sign-up failed: ${signup.status} ${signup.text}`);
  session.user = signup.body;
  return session;
}

/** The shard server (host) a customer's orders live on. */
export function serverOf(map: ShardMap, customer: Session): HostName {
  const shard = map.shardOf(bucketOfCustomer(customer.user.id, map.buckets));
  return (Object.entries(SHARD_SERVERS).find(([, databases]) => databases.includes(shard))?.[0] ?? 'shard-a') as HostName;
}

/** Signs customers up until `count` live on each shard server. */
export async function customersPerServer(map: ShardMap, count: number, label: string): Promise<Record<'shard-a' | 'shard-b', Session[]>> {
  const found: Record<'shard-a' | 'shard-b', Session[]> = { 'shard-a': [], 'shard-b': [] };
  for (let attempt = 0; attempt < 80 && (found['shard-a'].length < count || found['shard-b'].length < count); attempt++) {
    const customer = await newCustomer(label);
    const server = serverOf(map, customer) as 'shard-a' | 'shard-b';
    if (found[server].length < count) found[server].push(customer);
  }
  if (found['shard-a'].length < count || found['shard-b'].length < count)
    throw new Error('could not place customers on both shard servers');
  return found;
}

/** The api instances of the hosts shop and where each answers (its own port on its own host). */
const API_INSTANCES = apiInstances(config);

/**
 * The circuit breakers an api instance holds open or half-open (`tenk_breaker_state` 1 or 2 in
 * its /metrics, read on its own port): an earlier drill's cut leaves them so until calls come
 * again. An instance that cannot be read is reported as such.
 */
export async function unsettledBreakers(): Promise<string[]> {
  const unsettled: string[] = [];
  for (const api of API_INSTANCES) {
    try {
      const text = await (await fetch(`${api.url}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
      for (const match of text.matchAll(/^tenk_breaker_state\{[^}]*breaker="([^"]+)"[^}]*\} (\d+)$/gm))
        if (match[2] !== '0') unsettled.push(`${api.name} ${match[1]} ${match[2] === '1' ? 'open' : 'half-open'}`);
    } catch (error) {
      unsettled.push(`${api.name} unreadable (${(error as Error).message})`);
    }
  }
  return unsettled;
}

/**
 * Brings the shop back to its steady state before a drill that measures refusals: a breaker an
 * earlier drill left open or half-open closes only when calls come again, and its half-open
 * trial refuses the calls that arrive beside it (fail fast, by design; libs/resilience). So
 * orders are placed, by customers of every shard database, until every api instance reports
 * every breaker closed. Returns what it took; throws naming the breakers that never closed.
 */
export async function settleBreakers(map: ShardMap, timeoutMs = 60_000): Promise<{ orders: number; ms: number }> {
  const started = Date.now();
  let unsettled = await unsettledBreakers();
  if (unsettled.length === 0) return { orders: 0, ms: 0 };
  const perShard = new Map<string, Session>();
  for (let attempt = 0; attempt < 80 && perShard.size < map.shards().length; attempt++) {
    const customer = await newCustomer('hosts-settle');
    const shard = map.shardOf(bucketOfCustomer(customer.user.id, map.buckets));
    if (!perShard.has(shard)) perShard.set(shard, customer);
  }
  let orders = 0;
  while (unsettled.length > 0) {
    if (Date.now() - started > timeoutMs) {
      // What each instance's breakers did meanwhile (calls, rejections, transitions), for the failure to explain itself.
      const figures = await Promise.all(
        API_INSTANCES.map(async (api) =>
          (await (await fetch(`${api.url}/metrics`)).text())
            .split('\n')
            .filter((line) => line.startsWith('tenk_breaker_') && /breaker="shard:/.test(line))
            .map((line) => `${api.name} ${line}`),
        ),
      ).catch((error: Error) => [[`(metrics unreadable: ${error.message})`]]);
      throw new Error(
        `breakers still not closed after ${timeoutMs} ms of orders (${orders} placed): ${unsettled.join(', ')}\n  ${figures.flat().join('\n  ')}`,
      );
    }
    // Two orders per shard at once, in a new order each round: with a fixed order the balancer's
    // least_conn sent each customer to the same instance every round, and a breaker on the other
    // instance never saw a call (it stays half-open until one comes).
    const round = shuffled([...perShard.values(), ...perShard.values()]);
    orders += round.length;
    await Promise.all(round.map((customer) => placeOrder(customer, anyProduct())));
    await sleep(250);
    unsettled = await unsettledBreakers();
  }
  return { orders, ms: Date.now() - started };
}

/** A copy of `items` in random order (Fisher-Yates). */
function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

export interface OrderAttempt {
  customer: Session;
  key: string;
  status: number;
  ms: number;
  at: number;
  orderId?: string;
  totalCents?: number;
  retryAfter?: string | null;
  error?: string;
}

/** Places one order (one product, quantity 1) with its own idempotency key; never retries. */
export async function placeOrder(customer: Session, productId = '11'): Promise<OrderAttempt> {
  const key = randomUUID();
  const started = Date.now();
  try {
    const reply = await customer.request<{ id: string; totalCents: number }>('POST', '/orders', {
      json: { lines: [{ productId, quantity: 1 }] },
      headers: { 'idempotency-key': key },
    });
    return {
      customer,
      key,
      status: reply.status,
      ms: Date.now() - started,
      at: started,
      orderId: reply.status === 201 ? reply.body.id : undefined,
      totalCents: reply.status === 201 ? reply.body.totalCents : undefined,
      retryAfter: reply.headers.get('retry-after'),
    };
  } catch (error) {
    return { customer, key, status: 0, ms: Date.now() - started, at: started, error: (error as Error).message };
  }
}

/** The product ids the drills order from (the seeded catalog's, past the first hundred). */
const FIRST_PRODUCT = 100;
const PRODUCTS = 4_000;

/** Any one of them, at random. */
function anyProduct(): string {
  return String(FIRST_PRODUCT + Math.floor(Math.random() * PRODUCTS));
}

/** Orders at a steady rate, round-robin over the customers, until stopped. */
export function orderStream(customers: Session[], everyMs: number): { attempts: OrderAttempt[]; stop(): Promise<OrderAttempt[]> } {
  const attempts: OrderAttempt[] = [];
  const pending = new Set<Promise<void>>();
  let i = 0;
  // A different product each time, from a place of its own in the catalog: the drills place
  // hundreds of orders, more than one product's stock (20 to 519), and run again and again on
  // the same stack; starting every stream at the same product emptied the first ones (409).
  const first = Math.floor(Math.random() * PRODUCTS);
  const timer = setInterval(() => {
    const customer = customers[i % customers.length];
    const promise = placeOrder(customer, String(FIRST_PRODUCT + ((first + i++ * 7) % PRODUCTS))).then((attempt) => {
      attempts.push(attempt);
    });
    pending.add(promise);
    void promise.finally(() => pending.delete(promise));
  }, everyMs);
  return {
    attempts,
    async stop() {
      clearInterval(timer);
      await Promise.all([...pending]);
      return attempts;
    },
  };
}

/** Mails in the workers host's SMTP sink for one address. */
export async function mailsTo(address: string): Promise<Array<{ subject: string }>> {
  return (await (await fetch(`${SINK}/messages?to=${encodeURIComponent(address)}`)).json()) as Array<{ subject: string }>;
}

/** Confirmation mails per order id, for these customers. */
export async function confirmations(customers: Session[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const customer of customers)
    for (const mail of await mailsTo(customer.user.email)) {
      const id = /^Your tenk order (\S+) is confirmed$/.exec(mail.subject)?.[1];
      if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
  return counts;
}

/**
 * Where orders whose confirmation never came got lost, for a failing drill to say: whether
 * their OrderPlaced event is in the topic (read from the start by a group of its own, up to
 * each partition's end), and what the mailer's ledger (sent_mail) holds for it. Not in the
 * topic: lost between the outbox and Kafka; in it with no ledger row: lost in the mailer's
 * consumer or its queue; a row `sending`: a mail job that never finished.
 */
export async function whereAreOrders(orderIds: string[]): Promise<string[]> {
  const wanted = new Set(orderIds);
  const events = new Map<string, { eventId: string; partition: number; offset: string }>();
  const kafka = new Kafka({ clientId: 'hosts-drill-scan', brokers: config.kafka.brokers, logLevel: logLevel.NOTHING });
  const topic = config.messaging.kafka.ordersTopic;
  const admin = kafka.admin();
  const consumer = kafka.consumer({ groupId: `hosts-drill-scan-${randomUUID()}` });
  try {
    await admin.connect();
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((entry) => [entry.partition, BigInt(entry.high)]));
    const reached = new Set([...ends].filter(([, high]) => high === 0n).map(([partition]) => partition));
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 60_000);
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          const payload = JSON.parse(message.value?.toString() ?? '{}') as { orderId?: string; eventId?: string };
          if (payload.orderId && wanted.has(payload.orderId))
            events.set(payload.orderId, { eventId: payload.eventId ?? '', partition, offset: message.offset });
          if (BigInt(message.offset) + 1n >= (ends.get(partition) ?? 0n)) reached.add(partition);
          if (reached.size >= ends.size) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
      if (reached.size >= ends.size) resolve();
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
  const client = catalogPrimaryClient(config);
  await client.connect();
  try {
    const keys = [...events.values()].map((event) => MAIL_KEYS.orderConfirmation(event.eventId));
    const { rows } = await client.query<{ mail_key: string; state: string; attempts: number }>(
      'SELECT mail_key, state, attempts FROM sent_mail WHERE mail_key = ANY($1)',
      [keys],
    );
    const ledger = new Map(rows.map((row) => [row.mail_key, `${row.state} (attempts ${row.attempts})`]));
    const outbox = await outboxRowsOf(orderIds.filter((id) => !events.has(id)));
    return orderIds.map((id) => {
      const event = events.get(id);
      if (!event) return `${id}: no event in ${topic}; outbox: ${outbox.get(id)?.join('; ') ?? 'no row on any shard'}`;
      const row = ledger.get(MAIL_KEYS.orderConfirmation(event.eventId));
      return `${id}: event ${event.eventId} in ${topic}[${event.partition}] at ${event.offset}; mail ledger: ${row ?? 'no row'}`;
    });
  } finally {
    await client.end();
  }
}

interface OutboxRow {
  shard: string;
  message_key: string;
  event_type: string;
  published_at: Date | null;
  attempts: number;
  last_error: string | null;
}

/**
 * The outbox rows of these orders (message_key is the order id), read on every shard database
 * of the stack: published or not, how many tries, the last error. An order whose event is not in
 * the topic either never left the outbox (published_at empty: the relay has not managed yet) or
 * was marked published without reaching the topic (the broker or the client lost it).
 */
async function outboxRowsOf(orderIds: string[]): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>();
  const note = (id: string, line: string) => found.set(id, [...(found.get(id) ?? []), line]);
  const { rows, unreadable } = await readOutbox(orderIds);
  for (const row of rows)
    note(
      row.message_key,
      `${row.shard} ${row.event_type} ${row.published_at ? `published ${row.published_at.toISOString()}` : 'NOT published'} after ${row.attempts} tries${row.last_error ? `, last error: ${row.last_error.slice(0, 200)}` : ''}`,
    );
  for (const problem of unreadable) for (const id of orderIds) note(id, problem);
  return found;
}

/**
 * When the outbox relay saw each order's OrderPlaced acknowledged by the cluster (its row's
 * published_at), for the orders that have been: the producer side of the Kafka drill, apart
 * from how soon the consumers mail.
 */
export async function publishedAt(orderIds: string[]): Promise<Map<string, Date>> {
  const { rows, unreadable } = await readOutbox(orderIds);
  if (unreadable.length > 0) throw new Error(`outbox rows unreadable: ${unreadable.join('; ')}`);
  const published = new Map<string, Date>();
  for (const row of rows) if (row.event_type === 'OrderPlaced' && row.published_at) published.set(row.message_key, row.published_at);
  return published;
}

/** These orders' outbox rows on every shard database, and the shards that could not be read. */
async function readOutbox(orderIds: string[]): Promise<{ rows: OutboxRow[]; unreadable: string[] }> {
  const rows: OutboxRow[] = [];
  const unreadable: string[] = [];
  if (orderIds.length === 0) return { rows, unreadable };
  for (const shard of config.postgres.shardDatabases) {
    const endpoint = config.postgres.shardEndpoints[shard] ?? config.postgres.primary;
    const client = new Client({
      ...endpoint,
      user: config.postgres.user,
      password: config.postgres.password,
      ssl: config.postgres.ssl,
      database: shard,
    });
    try {
      await client.connect();
      const result = await client.query<Omit<OutboxRow, 'shard'>>(
        'SELECT message_key, event_type, published_at, attempts, last_error FROM outbox WHERE message_key = ANY($1) ORDER BY id',
        [orderIds],
      );
      rows.push(...result.rows.map((row) => ({ shard, ...row })));
    } catch (error) {
      unreadable.push(`${shard}: could not read (${(error as Error).message})`);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  return { rows, unreadable };
}

/** What the reports worker counted for these customers (sales_daily_customers on pg-primary): orders and cents. */
export async function salesOf(customers: Session[]): Promise<{ orders: number; cents: number }> {
  const client = catalogPrimaryClient(config);
  await client.connect();
  try {
    const { rows } = await client.query<{ orders: string | null; cents: string | null }>(
      'SELECT sum(orders) AS orders, sum(total_cents) AS cents FROM sales_daily_customers WHERE customer_id = ANY($1)',
      [customers.map((customer) => customer.user.id)],
    );
    return { orders: Number(rows[0].orders ?? 0), cents: Number(rows[0].cents ?? 0) };
  } finally {
    await client.end();
  }
}

/** How many orders the shop holds for a customer (through the shop: GET /customers/:id/orders, every page). */
export async function ordersHeld(customer: Session): Promise<number> {
  let total = 0;
  let cursor: string | undefined;
  for (let page = 0; page < 50; page++) {
    const reply = await customer.request<{ items: unknown[]; next: string | null }>(
      'GET',
      `/customers/${customer.user.id}/orders?limit=50${cursor ? `&after=${encodeURIComponent(cursor)}` : ''}`,
    );
    if (reply.status !== 200) throw new Error(`GET orders answered ${reply.status}: ${reply.text}`);
    total += reply.body.items.length;
    if (!reply.body.next) return total;
    cursor = reply.body.next;
  }
  return total;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Resident memory (MiB) of every process inside the hosts' namespaces, summed, and per host. */
export function hostsMemory(): { totalMiB: number; perHost: Record<string, number> } {
  const perHost: Record<string, number> = {};
  for (const { name: entry } of HOSTS) {
    const pids = spawnSync('ip', ['netns', 'pids', host(entry).netns], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean);
    let kib = 0;
    for (const pid of pids) {
      const status = spawnSync('cat', [`/proc/${pid}/status`], { encoding: 'utf8' }).stdout;
      kib += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    }
    perHost[entry] = Math.round(kib / 1024);
  }
  return { totalMiB: Object.values(perHost).reduce((sum, value) => sum + value, 0), perHost };
}

/**
 * Writes the drills' numbers and their chart: .tenk/hosts/results/hosts.json and hosts.svg, and
 * tools/lab/results/hosts.json and hosts.svg with TENK_HOSTS_RESULTS=commit.
 */
export function writeResults(results: Record<string, unknown>): string {
  const json = `${JSON.stringify(results, null, 2)}\n`;
  const svg = renderHostsChart(results as HostsResults);
  const dir =
    process.env['TENK_HOSTS_RESULTS'] === 'commit' ? path.join(ROOT, 'tools/lab/results') : path.join(config.paths.state, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'hosts.json'), json);
  writeFileSync(path.join(dir, 'hosts.svg'), svg);
  return path.join(dir, 'hosts.json');
}

/**
 * Helpers for the queue suites (videos, mail, reports): a cookie-keeping client, accounts made
 * for one test, OrderPlaced events published the way the orders outbox publishes them, and
 * "has the shop's consumer group read everything I published?" checks on Kafka itself.
 */
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { createAccount, User } from '@tenk/accounts';
import { loadConfig } from '@tenk/config';
import { TOPICS, type OrderPlacedV1 } from '@tenk/contracts';
import { createCatalogDataSource } from '@tenk/database';
import { eventually, uniqueName } from '@tenk/testing';
import { E2E_ENV, shopUrl } from '../support/e2e-env';
import { cookieHeader, fetchKeepingSession, newClientAddress, type Reply } from './access-support';

/**
 * The e2e shop's configuration (its ports; the shared stack's Redis, Kafka, SMTP sink). The
 * global setup puts E2E_ENV into process.env; read from there, so the suites follow the shop
 * they were given.
 */
export const config = loadConfig({ ...E2E_ENV, ...process.env });
/** An api instance of the shop, straight (not through the balancer). */
export const API = `http://127.0.0.1:${config.services.apiPort}`;
export const PASSWORD = 'queues e2e password';
export const SINK = `http://127.0.0.1:${config.mail.sinkHttpPort}`;

/** A signed-in user of the shop (through the balancer unless another base is given). */
export class Session {
  cookie = '';
  /** The read-your-writes token (`tenk_lsn=...`) the shop handed back on this session's last write. */
  writeToken?: string;
  user!: { id: string; email: string; name: string; role: string };

  /**
   * The address the api sees (sent as X-Forwarded-For, which the balancer extends): one per
   * session, so per-client limits (sign-ups) count each test user on its own, as real visitors.
   */
  readonly client = newClientAddress();

  constructor(readonly base = shopUrl()) {}

  async request<T = Record<string, unknown>>(
    method: string,
    route: string,
    init: { json?: unknown; body?: Uint8Array | string; headers?: Record<string, string> } = {},
  ): Promise<Reply<T>> {
    const cookie = cookieHeader(this);
    const headers: Record<string, string> = {
      'x-forwarded-for': this.client,
      ...(cookie ? { cookie } : {}),
      ...init.headers,
    };
    let body: Uint8Array | string | undefined = init.body;
    if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    }
    return fetchKeepingSession<T>(this, `${this.base}${route}`, { method, headers, body });
  }

  static async customer(label: string): Promise<Session> {
    const session = new Session();
    const email = `${uniqueName(label)}@example.test`.toLowerCase();
    const reply = await session.request<Session['user']>('POST', '/users', { json: { email, name: `Test ${label}`, password: PASSWORD } });
    if (reply.status !== 201) throw new Error(`sign-up of ${email} answered ${reply.status}: ${reply.text}`);
    session.user = reply.body;
    return session;
  }

  static async admin(): Promise<Session> {
    const email = `${uniqueName('queues-admin')}@example.test`.toLowerCase();
    await createAccount(await catalogDb(), { email, name: 'Queues Admin', password: PASSWORD, role: 'admin' });
    const session = new Session();
    const reply = await session.request<Session['user']>('POST', '/auth/login', { json: { email, password: PASSWORD } });
    if (reply.status !== 200) throw new Error(`admin sign-in answered ${reply.status}: ${reply.text}`);
    session.user = reply.body;
    return session;
  }
}

/**
 * The mailer's sent ledger entry for a mail key (`welcome:<userId>`, `order-confirmation:<eventId>`):
 * `sent` once the SMTP server took the mail. Read from the database, so it holds whichever
 * mailer on this machine handled the event.
 */
export async function ledgerState(mailKey: string): Promise<string | undefined> {
  const db = await catalogDb();
  const [row] = (await db.query('SELECT state FROM sent_mail WHERE mail_key = $1', [mailKey])) as Array<{ state: string }>;
  return row?.state;
}

let db: DataSource | undefined;
async function catalogDb(): Promise<DataSource> {
  if (!db) {
    db = createCatalogDataSource(config, 'primary', [User], 'e2e');
    await db.initialize();
  }
  return db;
}

export async function closeDb(): Promise<void> {
  await db?.destroy();
  db = undefined;
}

export function orderPlaced(customer: { id: string; email: string }, occurredAt: string, lines: OrderPlacedV1['lines']): OrderPlacedV1 {
  return {
    type: 'OrderPlaced',
    version: 1,
    eventId: randomUUID(),
    occurredAt,
    orderId: randomUUID(),
    customerId: customer.id,
    customerEmail: customer.email,
    currency: 'EUR',
    totalCents: lines.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0),
    lines,
  };
}

/** Publishes to `orders.events` as the outbox relay does (keyed by order id) and remembers where each landed. */
export class OrdersTopic {
  readonly #kafka = new Kafka({ clientId: 'tenk-e2e-queues', brokers: config.kafka.brokers, logLevel: logLevel.NOTHING });
  readonly #producer: Producer = this.#kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  readonly #admin: Admin = this.#kafka.admin();
  /** Highest offset written per partition by this suite. */
  readonly #written = new Map<number, bigint>();

  async connect(): Promise<this> {
    await Promise.all([this.#producer.connect(), this.#admin.connect()]);
    return this;
  }

  /** One send per event, so each reply names exactly where that event landed. */
  async publish(...events: OrderPlacedV1[]): Promise<void> {
    for (const event of events) {
      const [result] = await this.#producer.send({
        topic: TOPICS.ordersEvents,
        messages: [{ key: event.orderId, value: JSON.stringify(event) }],
      });
      const offset = BigInt(result.baseOffset ?? '0');
      if (offset > (this.#written.get(result.partition) ?? -1n)) this.#written.set(result.partition, offset);
    }
  }

  /** Publishes `event` to one partition of `orders.events` (a drill that must reach every partition). */
  async publishTo(partition: number, event: OrderPlacedV1): Promise<void> {
    const [result] = await this.#producer.send({
      topic: TOPICS.ordersEvents,
      messages: [{ partition, key: event.orderId, value: JSON.stringify(event) }],
    });
    const offset = BigInt(result.baseOffset ?? '0');
    if (offset > (this.#written.get(result.partition) ?? -1n)) this.#written.set(result.partition, offset);
  }

  /** The partitions of `orders.events`. */
  async partitions(): Promise<number[]> {
    return (await this.#admin.fetchTopicOffsets(TOPICS.ordersEvents)).map((offsets) => offsets.partition);
  }

  /** Deletes the shop's `group` (its service must be stopped): its next start is a new group's first. */
  async deleteGroup(group: string, timeoutMs = 60_000): Promise<void> {
    await eventually(
      async () => {
        const [description] = (await this.#admin.describeGroups([group])).groups;
        return description?.state === 'Empty' || description?.state === 'Dead';
      },
      `consumer group ${group} still has members`,
      timeoutMs,
      250,
    );
    await this.#admin.deleteGroups([group]).catch((error: unknown) => {
      if (
        !/does not exist|GROUP_ID_NOT_FOUND/i.test(
          String((error as Error).message) + JSON.stringify((error as { groups?: unknown }).groups ?? ''),
        )
      )
        throw error;
    });
  }

  /**
   * Waits until the shop's `group` has members with partitions. A group seen for the first
   * time starts at the end of the log (the mailer's does): what is published before it joined
   * would never reach it.
   */
  async groupReady(group: string, timeoutMs = 60_000): Promise<void> {
    await eventually(
      async () => {
        const [description] = (await this.#admin.describeGroups([group])).groups;
        return description?.state === 'Stable' && description.members.length > 0;
      },
      `consumer group ${group} has no members: is the shop's ${group.split('.').pop()} running?`,
      timeoutMs,
      250,
    );
  }

  /** Waits until `group` (e.g. tenk.mailer) has committed past everything this suite published. */
  async consumedBy(group: string, timeoutMs = 60_000): Promise<void> {
    await eventually(
      async () => {
        const [committed] = await this.#admin.fetchOffsets({ groupId: group, topics: [TOPICS.ordersEvents] });
        return [...this.#written].every(
          ([partition, offset]) => BigInt(committed.partitions.find((p) => p.partition === partition)?.offset ?? '-1') > offset,
        );
      },
      `consumer group ${group} did not read what this suite published to ${TOPICS.ordersEvents}`,
      timeoutMs,
      250,
    );
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.#producer.disconnect(), this.#admin.disconnect()]);
  }
}

export function groupOf(service: 'mailer' | 'reports'): string {
  return `${config.messaging.kafka.groupPrefix}.${service}`;
}

export interface SinkMessage {
  id: string;
  subject: string;
  to: string[];
  messageId?: string;
}

export async function mailsTo(address: string): Promise<SinkMessage[]> {
  return (await (await fetch(`${SINK}/messages?to=${encodeURIComponent(address)}`)).json()) as SinkMessage[];
}

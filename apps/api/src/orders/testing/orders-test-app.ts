import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { User, createAccount } from '@tenk/accounts';
import { CachingModule } from '@tenk/caching';
import { ConfigModule, type TenkConfig } from '@tenk/config';
import { QUEUES } from '@tenk/contracts';
import { DatabaseModule } from '@tenk/database';
import { MessagingModule } from '@tenk/messaging';
import { ObservabilityModule, createHttpAdapter } from '@tenk/observability';
import { ResilienceModule } from '@tenk/resilience';
import { SwitchesModule } from '@tenk/switches';
import { uniqueName } from '@tenk/testing';
import { AuthModule } from '../../auth/auth.module';
import { CatalogModule } from '../../catalog/catalog.module';
import { Product } from '../../catalog/product.entity';
import { configureHttp } from '../../configure-http';
import { ErrorsModule } from '../../errors/errors.module';
import { OrdersModule } from '../orders.module';

/**
 * Variables that keep a test's api to itself on the shared Redis servers: its own queue prefix
 * (sign-up enqueues a welcome mail nobody should send) and cache namespace.
 */
export function isolatedEnv(name: string): Record<string, string> {
  return { TENK_QUEUE_PREFIX: uniqueName(`${name}_q`), TENK_CACHE_NAMESPACE: uniqueName(`${name}_c`) };
}

/**
 * The api's order path as AppModule wires it (sessions, validation, error answers, cache,
 * catalog, payments, orders, outbox relay) over `config`: point it at scratch databases, a test
 * topic and isolatedEnv(). AppModule itself also loads the queue board, whose ESM-only
 * dependency Jest cannot load, hence the explicit list. Listens on a free port.
 */
export async function startOrdersApp(config: TenkConfig): Promise<{ app: INestApplication; url: string }> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      ConfigModule.forRoot(config),
      ObservabilityModule.forRoot({ service: 'orders-test' }),
      DatabaseModule.forRoot({ processName: 'orders-test', catalogEntities: [Product, User] }),
      CachingModule.forRoot(),
      MessagingModule.forRoot({ queues: [QUEUES.mail], kafka: true, queueRedisCritical: false }),
      ResilienceModule,
      SwitchesModule,
      ErrorsModule,
      AuthModule,
      CatalogModule,
      OrdersModule,
    ],
  }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(
    createHttpAdapter({ trustedProxies: config.runtime.trustedProxies }),
    { logger: false },
  );
  configureHttp(app, config);
  await app.listen(0, '127.0.0.1');
  return { app, url: (await app.getUrl()).replace('[::1]', '127.0.0.1') };
}

/** A signed-in HTTP client: keeps the cookies the api sets (session, write position). */
export class ShopClient {
  readonly #cookies = new Map<string, string>();

  /**
   * The address the api sees (X-Forwarded-For: it trusts loopback proxies): one per client, so
   * the per-client sign-up limit counts each test client on its own, as it would real visitors.
   */
  readonly address = `2001:db8:${randomBytes(2).toString('hex')}::${randomBytes(2).toString('hex')}`;

  constructor(readonly base: string) {}

  /** `body` is sent as JSON; `raw` as it is (a Buffer or a FormData, whose type fetch sets). */
  async request(
    method: string,
    route: string,
    options: { body?: unknown; raw?: Uint8Array | FormData; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
    const headers: Record<string, string> = { 'x-forwarded-for': this.address, ...(options.headers ?? {}) };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (this.#cookies.size > 0) headers['cookie'] = [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(`${this.base}${route}`, {
      method,
      headers,
      body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
    });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const [name, ...value] = pair.split('=');
      this.#cookies.set(name.trim(), value.join('='));
    }
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  /** Signs up a new customer and keeps its session; returns the account. */
  async signUp(email: string): Promise<{ id: string; email: string }> {
    const response = await this.request('POST', '/users', {
      body: { email, name: email.split('@')[0], password: 'correct horse battery' },
    });
    if (response.status !== 201) throw new Error(`sign-up failed: ${response.status} ${JSON.stringify(response.body)}`);
    return { id: String(response.body['id']), email };
  }

  async signIn(email: string, password: string): Promise<void> {
    const response = await this.request('POST', '/auth/login', { body: { email, password } });
    if (response.status !== 200 && response.status !== 201)
      throw new Error(`sign-in failed: ${response.status} ${JSON.stringify(response.body)}`);
  }
}

/** Creates an admin account straight in the catalog database (as `npm run admin` does). */
export async function createAdmin(config: TenkConfig, email: string, password: string): Promise<void> {
  const { DataSource } = await import('typeorm');
  const db = new DataSource({
    type: 'postgres',
    host: config.postgres.primary.host,
    port: config.postgres.primary.port,
    username: config.postgres.user,
    password: config.postgres.password,
    database: config.postgres.catalogDatabase,
    entities: [User],
  });
  await db.initialize();
  try {
    await createAccount(db, { email, name: 'admin', password, role: 'admin' });
  } finally {
    await db.destroy();
  }
}

/** Inserts products into the (scratch) catalog; returns their ids in order. */
export async function addProducts(
  config: TenkConfig,
  products: Array<{ sku: string; priceCents: number; stock: number }>,
): Promise<string[]> {
  const client = new Client({
    host: config.postgres.primary.host,
    port: config.postgres.primary.port,
    user: config.postgres.user,
    password: config.postgres.password,
    database: config.postgres.catalogDatabase,
  });
  await client.connect();
  try {
    const ids: string[] = [];
    for (const product of products) {
      const { rows } = await client.query<{ id: string }>(
        `INSERT INTO products (sku, name, category, price_cents, stock) VALUES ($1, $2, 'test', $3, $4) RETURNING id::text AS id`,
        [product.sku, `Product ${product.sku}`, product.priceCents, product.stock],
      );
      ids.push(rows[0].id);
    }
    return ids;
  } finally {
    await client.end();
  }
}

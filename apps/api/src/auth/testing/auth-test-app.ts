import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { INestApplication, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import { createAccount, User, type AccountView, type Role } from '@tenk/accounts';
import { ConfigModule, type TenkConfig } from '@tenk/config';
import { QUEUES } from '@tenk/contracts';
import { CatalogDatabase, DatabaseModule } from '@tenk/database';
import { MessagingModule } from '@tenk/messaging';
import { ObservabilityModule, createHttpAdapter } from '@tenk/observability';
import { uniqueName } from '@tenk/testing';
import { configureHttp } from '../../configure-http';
import { ErrorsModule } from '../../errors/errors.module';
import { AuthModule } from '../auth.module';

export const PASSWORD = 'a long enough password';

export interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
  /** `tenk_session=...` from Set-Cookie, if the answer set one. */
  cookie?: string;
}

export interface RequestOptions {
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as is, with this Content-Type (forms, text/plain). */
  raw?: { text: string; contentType?: string };
  cookie?: string;
  /** The client address the api sees (X-Forwarded-For: the api trusts loopback proxies, as behind the balancer). */
  client?: string;
  headers?: Record<string, string>;
}

/**
 * The api's accounts part (AuthModule: sign-up, sign-in, sessions, the guards) with validation
 * and error answers, over the real catalog database and queue Redis, listening on a free port.
 * Jobs go to a queue prefix of its own, so no running mailer sends its mails.
 */
export class AuthApp {
  private constructor(
    readonly app: INestApplication,
    readonly url: string,
  ) {}

  static async start(config: TenkConfig): Promise<AuthApp> {
    @Module({
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule.forRoot({ service: 'auth-int-spec' }),
        DatabaseModule.forRoot({ processName: 'auth-int-spec', catalogEntities: [User], shardEntities: [] }),
        // Sign-up queues mail (apps/mailer sends it).
        MessagingModule.forRoot({ queues: [QUEUES.mail], kafka: false, queueRedisCritical: false }),
        ErrorsModule,
        AuthModule,
      ],
    })
    class AuthTestModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AuthTestModule] }).compile();
    const app = moduleRef.createNestApplication<NestFastifyApplication>(
      createHttpAdapter({ trustedProxies: config.runtime.trustedProxies }),
      { logger: false },
    );
    configureHttp(app, config);
    await app.listen(0, '127.0.0.1');
    return new AuthApp(app, (await app.getUrl()).replace('[::1]', '127.0.0.1'));
  }

  async request(method: string, path: string, options: RequestOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...options.headers };
    let body: string | Uint8Array | undefined;
    if (options.raw) {
      // As bytes: fetch adds no Content-Type of its own to those.
      body = new TextEncoder().encode(options.raw.text);
      if (options.raw.contentType) headers['content-type'] = options.raw.contentType;
    } else if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    if (options.cookie) headers['cookie'] = options.cookie;
    if (options.client) headers['x-forwarded-for'] = options.client;
    const response = await fetch(`${this.url}${path}`, { method, headers, body });
    const text = await response.text();
    const setCookie = response.headers.getSetCookie().find((line) => line.startsWith('tenk_session='));
    return {
      status: response.status,
      headers: response.headers,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
      cookie: setCookie?.split(';')[0],
    };
  }

  /** Signs up a new customer from a client address of its own; its session cookie. */
  async signup(email = newEmail()): Promise<{ email: string; cookie: string; id: string }> {
    const reply = await this.request('POST', '/users', { body: { email, name: 'Ada Lovelace', password: PASSWORD }, client: newClient() });
    if (reply.status !== 201 || !reply.cookie) throw new Error(`sign-up answered ${reply.status}: ${JSON.stringify(reply.body)}`);
    return { email, cookie: reply.cookie, id: String(reply.body['id']) };
  }

  /** An account made straight in the database (as `npm run admin -- create` does), signed in. */
  async signedIn(role: Role): Promise<{ account: AccountView; cookie: string }> {
    const account = await createAccount(this.app.get(CatalogDatabase).primary, {
      email: newEmail(),
      name: `Test ${role}`,
      password: PASSWORD,
      role,
    });
    const login = await this.request('POST', '/auth/login', { body: { email: account.email, password: PASSWORD }, client: newClient() });
    if (login.status !== 200 || !login.cookie) throw new Error(`sign-in answered ${login.status}: ${JSON.stringify(login.body)}`);
    return { account, cookie: login.cookie };
  }

  close(): Promise<void> {
    return this.app.close();
  }
}

export const newEmail = () => `${uniqueName('auth')}@example.com`.toLowerCase();

/** A fresh address in the IPv6 documentation range, so per-client counters never collide between runs. */
export const newClient = () =>
  `2001:db8:${randomBytes(2).toString('hex')}:${randomBytes(2).toString('hex')}::${randomBytes(2).toString('hex')}`;

/** Variables that keep a test's api to itself: its own queue prefix, quiet logs. */
export function isolatedEnv(): Record<string, string> {
  return { TENK_QUEUE_PREFIX: uniqueName('auth_q'), TENK_LOG_LEVEL: 'silent' };
}

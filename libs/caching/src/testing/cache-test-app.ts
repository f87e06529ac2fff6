import { Global, Injectable, Module, type DynamicModule, type INestApplication, type OnModuleDestroy, type Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Pool } from 'pg';
import { ConfigModule, loadConfig, type CacheConfig, type RedisEndpoint, type TenkConfig } from '@tenk/config';
import { ObservabilityModule, createHttpAdapter } from '@tenk/observability';
import { SwitchesService } from '@tenk/switches';
import { uniqueName } from '@tenk/testing';
import { CacheService } from '../cache.service';
import { CachingModule } from '../caching.module';

/** Integration-test support for libs/caching (not exported from the lib): real Nest apps on real Redis and PostgreSQL. */

export const config: TenkConfig = loadConfig();

/** The `cache` switch, flipped per test app without touching the shared switch store in Redis. */
export class SwitchState {
  cache = true;
}

export interface CacheTestApp {
  app: INestApplication;
  cache: CacheService;
  url: string;
  switches: SwitchState;
  close(): Promise<void>;
}

export interface CacheTestAppOptions {
  namespace: string;
  redis?: RedisEndpoint;
  settings?: Partial<CacheConfig>;
  controllers?: Type[];
  providers?: Type[];
  mustSeeOwnWrites?: () => boolean;
}

/** One "api instance": a Nest HTTP app with the caching module, its own connections and in-process tier. */
export async function startCacheApp(options: CacheTestAppOptions): Promise<CacheTestApp> {
  const switches = new SwitchState();
  const moduleRef = await Test.createTestingModule({
    imports: [
      ConfigModule.forRoot(config),
      ObservabilityModule.forRoot({ service: 'caching-int' }),
      switchesModule(switches),
      CachingModule.forRoot({
        settings: { namespace: options.namespace, ...(options.settings ?? {}) },
        redis: options.redis,
        mustSeeOwnWrites: options.mustSeeOwnWrites,
      }),
      DatabaseProbeModule,
    ],
    controllers: options.controllers ?? [],
    providers: options.providers ?? [],
  }).compile();
  const app = moduleRef.createNestApplication(createHttpAdapter(), { logger: false });
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, cache: app.get(CacheService), url, switches, close: () => app.close() };
}

function switchesModule(state: SwitchState): DynamicModule {
  @Global()
  @Module({})
  class TestSwitchesModule {}
  return {
    module: TestSwitchesModule,
    providers: [{ provide: SwitchesService, useValue: { isOn: (name: string) => name !== 'cache' || state.cache } }],
    exports: [SwitchesService],
  };
}

/** The PostgreSQL the probes read: a pool on the catalog database. */
@Injectable()
export class ProbeDatabase implements OnModuleDestroy {
  readonly pool = new Pool({
    host: config.postgres.primary.host,
    port: config.postgres.primary.port,
    user: config.postgres.user,
    password: config.postgres.password,
    database: config.postgres.catalogDatabase,
    max: 4,
  });

  async onModuleDestroy(): Promise<void> {
    await this.pool.end();
  }
}

@Global()
@Module({ providers: [ProbeDatabase], exports: [ProbeDatabase] })
class DatabaseProbeModule {}

/**
 * A throwaway table and the number of times PostgreSQL really ran a statement on it
 * (pg_stat_statements), so tests count database work instead of trusting the cache's word.
 */
export class ProbeTable {
  readonly name = uniqueName('cache_probe');
  readonly #admin: Pool;

  constructor(admin: Pool) {
    this.#admin = admin;
  }

  async create(rows: Array<{ id: number; name: string }>): Promise<void> {
    await this.#admin.query(`CREATE TABLE ${this.name} (id integer PRIMARY KEY, name text NOT NULL)`);
    for (const row of rows) await this.#admin.query(`INSERT INTO ${this.name} (id, name) VALUES ($1, $2)`, [row.id, row.name]);
  }

  async rename(id: number, name: string): Promise<void> {
    await this.#admin.query(`UPDATE ${this.name} SET name = $2 WHERE id = $1`, [id, name]);
  }

  /** SELECTs PostgreSQL ran on this table so far. */
  async selects(): Promise<number> {
    const { rows } = await this.#admin.query<{ calls: string }>(
      `SELECT coalesce(sum(calls), 0) AS calls FROM pg_stat_statements WHERE query ILIKE 'select%' AND query LIKE $1`,
      [`%${this.name}%`],
    );
    return Number(rows[0].calls);
  }

  async drop(): Promise<void> {
    await this.#admin.query(`DROP TABLE IF EXISTS ${this.name}`);
  }
}

export function adminPool(): Pool {
  return new ProbeDatabase().pool;
}

import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { InjectConfig, type TenkConfig } from '@tenk/config';
import { HealthRegistry } from '@tenk/observability';
import { createCatalogDataSource } from './data-source.factory';
import { DATABASE_OPTIONS, type DatabaseOptions } from './database.module-definition';
import { LazyDataSource } from './lazy-data-source';

/**
 * The catalog database: the primary (connected at boot; this process cannot serve without
 * it) and its streaming replica (connected lazily; reads fall back to the primary without it).
 */
@Injectable()
export class CatalogDatabase implements OnModuleInit, OnModuleDestroy {
  readonly primary: DataSource;
  readonly replica: LazyDataSource;

  constructor(@InjectConfig() config: TenkConfig, @Inject(DATABASE_OPTIONS) options: DatabaseOptions, private readonly health: HealthRegistry) {
    this.primary = createCatalogDataSource(config, 'primary', options.catalogEntities, options.processName);
    this.replica = new LazyDataSource('catalog-replica', createCatalogDataSource(config, 'replica', options.catalogEntities, options.processName));
  }

  async onModuleInit(): Promise<void> {
    await this.primary.initialize();
    this.health.register({
      name: 'postgres-primary',
      critical: true,
      check: async () => {
        await this.primary.query('SELECT 1');
      },
    });
    this.health.register({
      name: 'postgres-replica',
      critical: false,
      check: async () => {
        const replica = await this.replica.get();
        const [row] = (await replica.query('SELECT pg_is_in_recovery() AS standby')) as Array<{ standby: boolean }>;
        if (!row?.standby) return { degraded: true, details: { message: 'replica endpoint is not in recovery (not a standby)' } };
        return undefined;
      },
    });
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([this.primary.isInitialized ? this.primary.destroy() : undefined, this.replica.close()]);
  }
}

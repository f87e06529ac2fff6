import { DynamicModule, Global, Module } from '@nestjs/common';
import { CatalogDatabase } from './catalog-database';
import { DATABASE_OPTIONS_TYPE, DatabaseConfigurableModule } from './database.module-definition';
import { ShardDatabases } from './shard-databases';

/** The catalog primary + replica and the order shards, with their readiness checks. */
@Global()
@Module({})
export class DatabaseModule extends DatabaseConfigurableModule {
  static override forRoot(options: typeof DATABASE_OPTIONS_TYPE): DynamicModule {
    const base = super.forRoot(options);
    return {
      ...base,
      global: true,
      providers: [...(base.providers ?? []), CatalogDatabase, ShardDatabases],
      exports: [CatalogDatabase, ShardDatabases],
    };
  }
}

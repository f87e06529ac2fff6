export { DatabaseModule } from './database.module';
export { DATABASE_OPTIONS, type DatabaseOptions } from './database.module-definition';
export { CatalogDatabase } from './catalog-database';
export { ShardDatabases } from './shard-databases';
export { LazyDataSource } from './lazy-data-source';
export { createCatalogDataSource, createShardDataSource, type EntityList, type CatalogRole } from './data-source.factory';
export { runAllMigrations, type MigrationReport } from './run-migrations';

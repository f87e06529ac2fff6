import { DataSource, type DataSourceOptions, type EntitySchema, type MigrationInterface } from 'typeorm';
import type { PostgresEndpoint, TenkConfig } from '@tenk/config';
import { CATALOG_MIGRATIONS } from './migrations/catalog';
import { SHARD_MIGRATIONS } from './migrations/shard';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export type EntityList = Array<Function | string | EntitySchema>;

export type CatalogRole = 'primary' | 'replica';

interface DataSourceSpec {
  name: string;
  endpoint: PostgresEndpoint;
  database: string;
  entities: EntityList;
  migrations: Array<new () => MigrationInterface>;
  /** Shown in pg_stat_activity, so a DBA sees which process holds which connection. */
  applicationName: string;
}

function build(config: TenkConfig, spec: DataSourceSpec): DataSource {
  const options: DataSourceOptions = {
    type: 'postgres',
    host: spec.endpoint.host,
    port: spec.endpoint.port,
    username: config.postgres.user,
    password: config.postgres.password,
    // TLS when TENK_PG_SSLMODE asks for it (false: plain TCP, as the local stack).
    ssl: config.postgres.ssl,
    database: spec.database,
    entities: spec.entities,
    migrations: spec.migrations,
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    extra: {
      max: config.postgres.poolSize,
      application_name: spec.applicationName,
      connectionTimeoutMillis: 3_000,
      idleTimeoutMillis: 30_000,
    },
  };
  return new DataSource(options);
}

/** The catalog database (`shop`) on the primary (read-write) or the streaming replica (read-only). */
export function createCatalogDataSource(config: TenkConfig, role: CatalogRole, entities: EntityList, process = 'tenk'): DataSource {
  return build(config, {
    name: `catalog-${role}`,
    endpoint: role === 'primary' ? config.postgres.primary : config.postgres.replica,
    database: config.postgres.catalogDatabase,
    entities,
    migrations: CATALOG_MIGRATIONS,
    applicationName: `${process}:catalog-${role}`,
  });
}

/** One physical order shard (`shard_N` on the primary server). */
export function createShardDataSource(config: TenkConfig, shard: number, entities: EntityList, process = 'tenk'): DataSource {
  const database = config.postgres.shardDatabases[shard];
  if (database === undefined) {
    throw new Error(
      `No shard ${shard}: TENK_SHARD_DATABASES has ${config.postgres.shardDatabases.length} shards (0..${config.postgres.shardDatabases.length - 1})`,
    );
  }
  return build(config, {
    name: database,
    endpoint: config.postgres.shardEndpoints[database] ?? config.postgres.primary,
    database,
    entities,
    migrations: SHARD_MIGRATIONS,
    applicationName: `${process}:${database}`,
  });
}

import { DEFAULT_SHARD_DATABASES } from '../defaults';
import { EnvReader } from '../env-reader';

export interface PostgresEndpoint {
  host: string;
  port: number;
}

export interface PostgresConfig {
  primary: PostgresEndpoint;
  replica: PostgresEndpoint;
  user: string;
  password: string;
  /** The catalog database: products, users, stock. */
  catalogDatabase: string;
  /** Physical shard databases for orders, in shard-number order. */
  shardDatabases: string[];
  /**
   * Where each shard database lives (TENK_SHARD_HOSTS, `shard_0=db-a:5432,shard_1=db-b:5432`);
   * a shard not named there lives on the primary's server, as locally.
   */
  shardEndpoints: Record<string, PostgresEndpoint>;
  /** Connections per pool (per database, per process). */
  poolSize: number;
  /** Statements slower than this land in PostgreSQL's log (log_min_duration_statement). */
  slowQueryMs: number;
}

const DB_NAME = /^[a-z_][a-z0-9_]*$/;

export function readPostgres(env: EnvReader): PostgresConfig {
  const host = env.string('TENK_PG_HOST', '127.0.0.1');
  const primary = { host, port: env.servicePort('postgresPrimary') };
  const shardDatabases = env.list('TENK_SHARD_DATABASES', [...DEFAULT_SHARD_DATABASES], DB_NAME);
  return {
    primary,
    replica: {
      host: env.string('TENK_PG_REPLICA_HOST', host),
      port: env.servicePort('postgresReplica'),
    },
    user: env.string('TENK_PG_USER', 'tenk'),
    password: env.string('TENK_PG_PASSWORD', 'tenk'),
    catalogDatabase: env.list('TENK_PG_DATABASE', ['shop'], DB_NAME)[0],
    shardDatabases,
    shardEndpoints: readShardEndpoints(env, shardDatabases, primary),
    poolSize: env.int('TENK_PG_POOL_SIZE', 10, { min: 1, max: 200 }),
    slowQueryMs: env.int('TENK_PG_SLOW_QUERY_MS', 100, { min: -1 }),
  };
}

/** TENK_SHARD_HOSTS: `shard_0=db-a:5432,shard_1=db-b` (port defaults to the primary's). */
function readShardEndpoints(env: EnvReader, shardDatabases: string[], primary: PostgresEndpoint): Record<string, PostgresEndpoint> {
  const endpoints: Record<string, PostgresEndpoint> = Object.fromEntries(shardDatabases.map((database) => [database, primary]));
  const raw = env.string('TENK_SHARD_HOSTS', '');
  if (raw === '') return endpoints;
  for (const item of raw.split(',').map((part) => part.trim()).filter(Boolean)) {
    const match = /^([a-z_][a-z0-9_]*)=([A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(item);
    if (!match) {
      env.problem('TENK_SHARD_HOSTS', raw, `"${item}" is not shard=host[:port], e.g. shard_0=db-a.internal:5432`);
      continue;
    }
    const [, database, shardHost, port] = match;
    if (!shardDatabases.includes(database)) {
      env.problem('TENK_SHARD_HOSTS', raw, `"${database}" is not in TENK_SHARD_DATABASES (${shardDatabases.join(', ')})`);
      continue;
    }
    endpoints[database] = { host: shardHost, port: port ? Number(port) : primary.port };
  }
  return endpoints;
}

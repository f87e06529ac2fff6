import { DEFAULT_PORTS, DEFAULT_SHARD_DATABASES } from '../defaults';
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
  /** Connections per pool (per database, per process). */
  poolSize: number;
  /** Statements slower than this land in PostgreSQL's log (log_min_duration_statement). */
  slowQueryMs: number;
}

const DB_NAME = /^[a-z_][a-z0-9_]*$/;

export function readPostgres(env: EnvReader): PostgresConfig {
  const host = env.string('TENK_PG_HOST', '127.0.0.1');
  return {
    primary: { host, port: env.port('TENK_PG_PORT', DEFAULT_PORTS.postgresPrimary) },
    replica: {
      host: env.string('TENK_PG_REPLICA_HOST', host),
      port: env.port('TENK_PG_REPLICA_PORT', DEFAULT_PORTS.postgresReplica),
    },
    user: env.string('TENK_PG_USER', 'tenk'),
    password: env.string('TENK_PG_PASSWORD', 'tenk'),
    catalogDatabase: env.list('TENK_PG_DATABASE', ['shop'], DB_NAME)[0],
    shardDatabases: env.list('TENK_SHARD_DATABASES', [...DEFAULT_SHARD_DATABASES], DB_NAME),
    poolSize: env.int('TENK_PG_POOL_SIZE', 10, { min: 1, max: 200 }),
    slowQueryMs: env.int('TENK_PG_SLOW_QUERY_MS', 100, { min: -1 }),
  };
}

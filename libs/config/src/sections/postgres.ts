import { DEFAULT_SHARD_DATABASES } from '../defaults';
import { EnvReader } from '../env-reader';

export const PG_SSL_MODES = ['disable', 'require', 'verify-full'] as const;
export type PgSslMode = (typeof PG_SSL_MODES)[number];

/**
 * node-postgres' `ssl` (TypeORM passes it through): false, or TLS with the server's
 * certificate checked (`verify-full`: against `ca` or the system's CAs, and its name) or not
 * (`require`: encrypted, as libpq's sslmode=require, but not safe from a man in the middle).
 */
export type PgSsl = false | { rejectUnauthorized: boolean; ca?: string };

export interface PostgresEndpoint {
  host: string;
  port: number;
}

export interface PostgresConfig {
  primary: PostgresEndpoint;
  replica: PostgresEndpoint;
  user: string;
  /**
   * TENK_PG_PASSWORD or TENK_PG_PASSWORD_FILE; the local stack's comes from
   * `.tenk/secrets.env` (tools/infra), the same for the replication role. Default: `tenk`,
   * the fixed password of stacks from before tools/infra generated one.
   */
  password: string;
  /** TLS to every PostgreSQL server (primary, replica, shards): TENK_PG_SSLMODE, TENK_PG_SSLROOTCERT. */
  ssl: PgSsl;
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
    password: env.secret('TENK_PG_PASSWORD') ?? 'tenk',
    ssl: readPgSsl(env),
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
  for (const item of raw
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
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

function readPgSsl(env: EnvReader): PgSsl {
  const mode = env.oneOf('TENK_PG_SSLMODE', PG_SSL_MODES, 'disable');
  const ca = env.pemFile('TENK_PG_SSLROOTCERT');
  if (mode !== 'verify-full' && env.has('TENK_PG_SSLROOTCERT'))
    env.problem('TENK_PG_SSLROOTCERT', '(set)', 'only used with TENK_PG_SSLMODE=verify-full');
  if (mode === 'disable') return false;
  if (mode === 'require') return { rejectUnauthorized: false };
  return ca === undefined ? { rejectUnauthorized: true } : { rejectUnauthorized: true, ca };
}

import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { PORT_VARIABLES, type TenkConfig } from '@tenk/config';
import { serviceDirs, socketDir } from '../layout';
import { ensurePortFree } from '../ports';
import type { InfraService, PackageNeed, ServiceStatus } from '../service';
import { asUser, commandExists, isAlive, isRoot, run, runOrThrow } from '../shell';
import { atSpot, listenAddresses, LOCAL, type Spot } from '../spot';

const OS_USER = 'postgres';
const REPLICATION_USER = 'replicator';
const REPLICATION_SLOT = 'tenk_replica';

/** PostgreSQL's server binaries: Debian keeps them in /usr/lib/postgresql/<major>/bin. */
export function postgresBin(tool: string): string {
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const majors = readdirSync(base)
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
    for (const major of majors) {
      const candidate = path.join(base, major, 'bin', tool);
      if (existsSync(candidate)) return candidate;
    }
  }
  return tool;
}

const POSTGRES_PACKAGES: PackageNeed[] = [
  { debian: 'postgresql', present: () => existsSync(postgresBin('initdb')) || commandExists('initdb') },
  {
    debian: 'postgresql-contrib',
    present: () => {
      const base = '/usr/share/postgresql';
      return (
        existsSync(base) && readdirSync(base).some((major) => existsSync(path.join(base, major, 'extension', 'pg_stat_statements.control')))
      );
    },
  },
];

/** uid and gid of an OS user, from /etc/passwd. */
export function osUser(name: string): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith(`${name}:`));
  if (!line) throw new Error(`the OS user "${name}" does not exist; is PostgreSQL installed?`);
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/**
 * Creates a folder the postgres OS user owns (when we are root), mode 0700, and makes sure
 * that user can walk down to it.
 */
function ownedDir(dir: string, log: (message: string) => void): void {
  mkdirSync(dir, { recursive: true });
  if (isRoot()) {
    const { uid, gid } = osUser(OS_USER);
    chownSync(dir, uid, gid);
    letUserReach(dir, uid, gid, log);
  }
  chmodSync(dir, 0o700);
}

/**
 * A checkout inside a private folder (`mktemp -d` makes one with mode 0700; so are many home
 * folders) stops the postgres user on its way to its data. Each folder above `dir` that it
 * cannot enter gets the search bit for it (enter, not list), said once in the log.
 */
export function letUserReach(dir: string, uid: number, gid: number, log: (message: string) => void): void {
  for (let folder = path.dirname(dir); ; folder = path.dirname(folder)) {
    const { uid: owner, gid: group, mode } = statSync(folder);
    const search = owner === uid ? 0o100 : group === gid ? 0o010 : 0o001;
    if ((mode & search) === 0) {
      chmodSync(folder, (mode & 0o7777) | search);
      log(`letting the ${OS_USER} user enter ${folder} (chmod +x for it: enter, not list)`);
    }
    if (path.dirname(folder) === folder) return;
  }
}

function pgAs(tool: string, args: string[]): [string, string[]] {
  return asUser(OS_USER, postgresBin(tool), args);
}

function postmasterPid(dataDir: string): number | undefined {
  const file = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  return Number.isFinite(pid) && isAlive(pid) ? pid : undefined;
}

/** Settings both servers share; each adds its own. Rewritten on every `up`. */
function commonSettings(config: TenkConfig, server: PgServer, logDir: string): string[] {
  return [
    `# Written by tools/infra on every start; edit the generator, not this file.`,
    `listen_addresses = '${listenAddresses(server.spot).join(', ')}'`,
    `port = ${server.port(config)}`,
    `unix_socket_directories = '${pgSocket(config, server)}'`,
    `unix_socket_permissions = 0700`,
    `max_connections = 400`,
    // Small on purpose: the whole shop (two servers, Kafka, Redis, every app) fits in 1.5 GB;
    // the catalog and the orders of the labs fit, and the OS page cache holds the rest.
    `shared_buffers = 64MB`,
    `wal_level = replica`,
    `max_wal_senders = 10`,
    `max_replication_slots = 10`,
    `hot_standby = on`,
    `hot_standby_feedback = on`,
    `shared_preload_libraries = 'pg_stat_statements'`,
    `pg_stat_statements.track = all`,
    `pg_stat_statements.max = 10000`,
    `track_io_timing = on`,
    // The tutorial's "check your slow query log": statements slower than this are logged.
    `log_min_duration_statement = ${config.postgres.slowQueryMs}`,
    `logging_collector = on`,
    `log_directory = '${logDir}'`,
    `log_filename = 'postgresql-%a.log'`,
    `log_truncate_on_rotation = on`,
    `log_line_prefix = '%m [%p] %q%u@%d '`,
  ];
}

/**
 * One PostgreSQL server of the stack: its name (service and folder), where it runs, its port
 * and the databases it holds (the first one answers health checks).
 */
export interface PgServer {
  name: string;
  spot: Spot;
  port(config: TenkConfig): number;
  databases(config: TenkConfig): string[];
}

/** A server's private socket folder: the stack's own locally, one per server on tools/hosts' hosts. */
export function pgSocket(config: TenkConfig, server: PgServer): string {
  return server.spot.netns ? path.join(socketDir(config), server.name) : socketDir(config);
}

/**
 * Starts or stops a cluster; start's early output goes to `<logDir>/server.log`. A server
 * started inside a host's namespace stays there (pg_ctl's postmaster inherits it).
 */
async function pgCtl(dataDir: string, action: 'start' | 'stop', logDir?: string, spot: Spot = LOCAL): Promise<void> {
  const args =
    action === 'start'
      ? ['-D', dataDir, '-l', path.join(logDir ?? dataDir, 'server.log'), '-w', '-t', '90', 'start']
      : ['-D', dataDir, '-m', 'fast', '-w', '-t', '60', 'stop'];
  const [command, argv] = atSpot(spot, ...pgAs('pg_ctl', args));
  await runOrThrow(command, argv);
}

/** Runs SQL as the superuser over the private Unix socket (the stack's, or `socket`). */
export async function superuserQuery(
  config: TenkConfig,
  port: number,
  database: string,
  sql: string,
  socket = socketDir(config),
): Promise<string> {
  const [command, argv] = pgAs('psql', [
    '-h',
    socket,
    '-p',
    String(port),
    '-U',
    'postgres',
    '-d',
    database,
    '-v',
    'ON_ERROR_STOP=1',
    '-qAt',
    '-c',
    sql,
  ]);
  return (await runOrThrow(command, argv)).stdout.trim();
}

/**
 * Runs SQL as the superuser with the statements on standard input, not the command line: the
 * ones that carry a password stay out of `ps` and out of error messages.
 */
async function superuserScript(config: TenkConfig, port: number, database: string, sql: string, socket = socketDir(config)): Promise<void> {
  const [command, argv] = pgAs('psql', [
    '-h',
    socket,
    '-p',
    String(port),
    '-U',
    'postgres',
    '-d',
    database,
    '-v',
    'ON_ERROR_STOP=1',
    '-qAt',
    '-f',
    '-',
  ]);
  const result = await run(command, argv, { input: sql });
  if (result.code !== 0)
    throw new Error(
      `psql on port ${port} failed: ${(result.stderr || result.stdout)
        .trim()
        .split('\n')
        .slice(-3)
        .join(' ')
        .replace(/PASSWORD\s+'[^']*'/gi, "PASSWORD '...'")}`,
    );
}

/** The shop's role and the replication role sign in with the configured password (.tenk/secrets.env). */
async function applyRolePasswords(config: TenkConfig, port: number, socket = socketDir(config)): Promise<void> {
  const { user, password } = config.postgres;
  await superuserScript(
    config,
    port,
    'postgres',
    // Never into the server log, however slow the statement.
    `SET log_min_duration_statement = -1; SET log_statement = 'none';
     ALTER ROLE ${identifier(user)} WITH PASSWORD ${literal(password)};
     ALTER ROLE ${REPLICATION_USER} WITH PASSWORD ${literal(password)};`,
    socket,
  );
}

/** Can the shop's role sign in over TCP with the configured password? */
async function signsIn(config: TenkConfig, server: PgServer): Promise<boolean> {
  const client = new Client({
    host: server.spot.address,
    port: server.port(config),
    user: config.postgres.user,
    password: config.postgres.password,
    database: server.databases(config)[0],
    connectionTimeoutMillis: 2_000,
  });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const CONNINFO_PASSWORD = /(^|\s)password=('(?:[^'\\]|\\.)*'|\S*)/g;

/** primary_conninfo with `password=` set to `password` (unchanged when it already is). */
export function withConninfoPassword(conninfo: string, password: string): string {
  const current = [...conninfo.matchAll(CONNINFO_PASSWORD)].map((match) => match[2]);
  if (current.length === 1 && current[0] === password) return conninfo;
  return `${conninfo.replace(CONNINFO_PASSWORD, '').trim()} password=${password}`.trim();
}

function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function identifier(value: string): string {
  return `"${value.replace(/"/g, '""')}"`;
}

async function statusOf(config: TenkConfig, server: PgServer): Promise<ServiceStatus> {
  const pid = postmasterPid(serviceDirs(config, server.name).data);
  if (!pid) return { running: false, healthy: false };
  const client = new Client({
    host: server.spot.address,
    port: server.port(config),
    user: config.postgres.user,
    password: config.postgres.password,
    database: server.databases(config)[0],
    connectionTimeoutMillis: 2_000,
  });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return { running: true, healthy: true, pid };
  } catch (error) {
    return { running: true, healthy: false, pid, detail: (error as Error).message };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * A primary server (initdb on first start), holding `server.databases` with
 * pg_stat_statements; `server.spot.clients` (tools/hosts' bridge) may connect and replicate.
 */
export function primaryServer(server: PgServer): InfraService {
  const hba = (spot: Spot) =>
    [
      '# Written by tools/infra. The socket folder is private (0700) to the postgres OS user.',
      'local   all           all                         trust',
      'local   replication   all                         trust',
      'host    all           all          127.0.0.1/32   scram-sha-256',
      `host    replication   ${REPLICATION_USER}   127.0.0.1/32   scram-sha-256`,
      ...(spot.clients
        ? [
            `host    all           all          ${spot.clients}   scram-sha-256`,
            `host    replication   ${REPLICATION_USER}   ${spot.clients}   scram-sha-256`,
          ]
        : []),
      '',
    ].join('\n');
  return {
    name: server.name,
    after: [],
    port: (config) => server.port(config),
    packages: () => POSTGRES_PACKAGES,
    dataDirs: (config) => [serviceDirs(config, server.name).data],
    status: (config) => statusOf(config, server),

    async start(config, log) {
      const { dirs, port, logDir } = serverDirs(config, server, log);
      if (!existsSync(path.join(dirs.data, 'PG_VERSION'))) {
        log(`initialising the ${server.name} cluster (initdb)`);
        ownedDir(dirs.data, log);
        const [command, argv] = pgAs('initdb', [
          '-D',
          dirs.data,
          '-U',
          'postgres',
          '--auth-local=trust',
          '--auth-host=scram-sha-256',
          '-E',
          'UTF8',
          '--locale=C',
          '--no-instructions',
        ]);
        await runOrThrow(command, argv);
        writeFileSync(
          path.join(dirs.data, 'postgresql.conf'),
          `${readFileSync(path.join(dirs.data, 'postgresql.conf'), 'utf8')}\ninclude 'tenk.conf'\n`,
        );
      }
      writeFileSync(path.join(dirs.data, 'pg_hba.conf'), hba(server.spot));
      writeFileSync(path.join(dirs.data, 'tenk.conf'), `${commonSettings(config, server, logDir).join('\n')}\n`);
      if (!postmasterPid(dirs.data)) {
        await ensurePortFree(server.name, port, PORT_VARIABLES.postgresPrimary, server.spot.address);
        log(`starting on ${server.spot.address}:${port}`);
        await pgCtl(dirs.data, 'start', logDir, server.spot);
      }
      await provision(config, server, log);
    },

    async stop(config) {
      const dirs = serviceDirs(config, server.name);
      if (postmasterPid(dirs.data)) await pgCtl(dirs.data, 'stop');
    },

    async secure(config, log) {
      if (await signsIn(config, server)) return;
      // A stack from before: the roles still have the old fixed password. The replica follows
      // (roles replicate); its own replication connection is updated by its secure().
      await applyRolePasswords(config, server.port(config), pgSocket(config, server));
      if (!(await signsIn(config, server)))
        throw new Error(
          `${server.name}: ${config.postgres.user} cannot sign in with the configured password even after setting it; see ${path.join(config.paths.logs, server.name)}`,
        );
      log(`the ${config.postgres.user} and ${REPLICATION_USER} roles now sign in with this machine's password (data kept, no restart)`);
    },
  };
}

/** The one-host primary: catalog database `shop` and the order shards, with pg_stat_statements. */
export const LOCAL_PRIMARY: PgServer = {
  name: 'postgres-primary',
  spot: LOCAL,
  port: (config) => config.postgres.primary.port,
  databases: (config) => [config.postgres.catalogDatabase, ...config.postgres.shardDatabases],
};

export const postgresPrimary: InfraService = primaryServer(LOCAL_PRIMARY);

/** Roles, databases and extensions; safe to run again on every `up`. */
async function provision(config: TenkConfig, server: PgServer, log: (line: string) => void): Promise<void> {
  const { user } = config.postgres;
  const port = server.port(config);
  const socket = pgSocket(config, server);
  const sql = (database: string, statement: string) => superuserQuery(config, port, database, statement, socket);
  await sql(
    'postgres',
    `DO $$ BEGIN
       IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ${literal(user)}) THEN CREATE ROLE ${identifier(user)} LOGIN; END IF;
       IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ${literal(REPLICATION_USER)}) THEN CREATE ROLE ${REPLICATION_USER} LOGIN REPLICATION; END IF;
     END $$;
     ALTER ROLE ${identifier(user)} WITH LOGIN CREATEDB;
     ALTER ROLE ${REPLICATION_USER} WITH LOGIN REPLICATION;
     GRANT pg_monitor TO ${identifier(user)};`,
  );
  await applyRolePasswords(config, port, socket);
  const existing = new Set((await sql('postgres', 'SELECT datname FROM pg_database')).split('\n'));
  for (const database of server.databases(config)) {
    if (!existing.has(database)) {
      log(`creating database ${database}`);
      await sql('postgres', `CREATE DATABASE ${identifier(database)} OWNER ${identifier(user)}`);
    }
    await sql(
      database,
      `CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
       GRANT EXECUTE ON FUNCTION pg_stat_statements_reset(oid, oid, bigint) TO ${identifier(user)};`,
    );
  }
}

/**
 * A real streaming replica of `primary` (pg_basebackup -R, run where the replica runs so it
 * connects the way the replica will), read-only, on its own port.
 */
export function replicaServer(server: PgServer, primary: PgServer): InfraService {
  return {
    name: server.name,
    after: [primary.name],
    port: (config) => server.port(config),
    packages: () => POSTGRES_PACKAGES,
    dataDirs: (config) => [serviceDirs(config, server.name).data],

    async status(config) {
      const base = await statusOf(config, server);
      if (!base.healthy) return base;
      try {
        const lag = await replicationLag(config, primary);
        return {
          ...base,
          healthy: lag !== undefined,
          detail: lag ? `streaming, lag ${lag.bytes} B / ${lag.ms.toFixed(1)} ms` : 'not streaming from the primary',
        };
      } catch (error) {
        return { ...base, detail: `lag unknown: ${(error as Error).message}` };
      }
    },

    async start(config, log) {
      const { dirs, port, logDir } = serverDirs(config, server, log);
      if (!existsSync(path.join(dirs.data, 'PG_VERSION'))) {
        log(`cloning ${primary.name} into a streaming replica (pg_basebackup -R)`);
        ownedDir(dirs.data, log);
        const primaryPort = primary.port(config);
        // A slot left by an earlier replica (wiped by hand) would make -C fail.
        await superuserQuery(
          config,
          primaryPort,
          'postgres',
          `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '${REPLICATION_SLOT}' AND NOT active`,
          pgSocket(config, primary),
        );
        const [command, argv] = atSpot(
          server.spot,
          ...pgAs('pg_basebackup', [
            '-h',
            primary.spot.address,
            '-p',
            String(primaryPort),
            '-U',
            REPLICATION_USER,
            '-D',
            dirs.data,
            '-R',
            '-X',
            'stream',
            '-S',
            REPLICATION_SLOT,
            '-C',
            '-c',
            'fast',
          ]),
        );
        await runOrThrow(command, argv, { env: { ...process.env, PGPASSWORD: config.postgres.password } });
      }
      writeFileSync(
        path.join(dirs.data, 'tenk.conf'),
        `${[...commonSettings(config, server, logDir), `primary_slot_name = '${REPLICATION_SLOT}'`].join('\n')}\n`,
      );
      if (!postmasterPid(dirs.data)) {
        await ensurePortFree(server.name, port, PORT_VARIABLES.postgresReplica, server.spot.address);
        log(`starting on ${server.spot.address}:${port}`);
        await pgCtl(dirs.data, 'start', logDir, server.spot);
      }
    },

    async stop(config) {
      const dirs = serviceDirs(config, server.name);
      if (postmasterPid(dirs.data)) await pgCtl(dirs.data, 'stop');
    },

    async secure(config, log) {
      // pg_basebackup -R wrote the replication password into primary_conninfo: keep it the
      // configured one, or the replica cannot reconnect once the primary's changes.
      const port = server.port(config);
      const socket = pgSocket(config, server);
      const current = await superuserQuery(config, port, 'postgres', 'SHOW primary_conninfo', socket);
      const wanted = withConninfoPassword(current, config.postgres.password);
      if (wanted === current) return;
      await superuserScript(
        config,
        port,
        'postgres',
        `ALTER SYSTEM SET primary_conninfo = ${literal(wanted)};\nSELECT pg_reload_conf();`,
        socket,
      );
      log("the replication connection now signs in with this machine's password (reloaded: the replica reconnects with it)");
    },
  };
}

export const postgresReplica: InfraService = replicaServer(
  {
    name: 'postgres-replica',
    spot: LOCAL,
    port: (config) => config.postgres.replica.port,
    databases: (config) => [config.postgres.catalogDatabase],
  },
  LOCAL_PRIMARY,
);

/** How far the replica is behind the primary, measured on the primary. */
export async function replicationLag(
  config: TenkConfig,
  primary: PgServer = LOCAL_PRIMARY,
): Promise<{ bytes: number; ms: number } | undefined> {
  const row = await superuserQuery(
    config,
    primary.port(config),
    'postgres',
    `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint || ' ' || COALESCE(EXTRACT(EPOCH FROM replay_lag) * 1000, 0)
       FROM pg_stat_replication WHERE state = 'streaming' LIMIT 1`,
    pgSocket(config, primary),
  );
  if (!row) return undefined;
  const [bytes, ms] = row.split(' ').map(Number);
  return { bytes, ms };
}

/** A server's folders (its socket and log folders made, owned by postgres) and port, before it starts. */
function serverDirs(config: TenkConfig, server: PgServer, log: (line: string) => void) {
  const dirs = serviceDirs(config, server.name);
  const logDir = path.join(config.paths.logs, server.name);
  ownedDir(pgSocket(config, server), log);
  ownedDir(logDir, log);
  return { dirs, port: server.port(config), logDir };
}

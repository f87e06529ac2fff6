import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { redisConnection, type TenkConfig } from '@tenk/config';
import type { LoadSummary } from './machine-load';
import { machineDescription, type MachineDescription } from './report';

const ROOT = path.resolve(__dirname, '../../..');

/**
 * What a result needs so a reader can trust and reproduce it: the code it measured (commit,
 * and whether the tree had changes), the exact command, the versions of what ran, the machine,
 * and how busy that machine was while it ran.
 */
export interface RunStamp {
  commit: string | null;
  /** Uncommitted changes outside the result folders when the run started. */
  dirty: boolean | null;
  command: string;
  versions: Record<string, string>;
  machine: MachineDescription;
  load: LoadSummary;
  /** Other processes used at most QUIET_CORES on average, before and during the run. */
  quiet: boolean;
  /** How long the run took, start to result (what `npm run lab -- all` estimates from). */
  seconds: number;
}

/** Above this many cores of CPU used by processes outside the experiment, a run is not quiet. */
export const QUIET_CORES = 0.1;

/** The commit checked out and whether the tree has changes that are not results (null outside git). */
export function gitState(root = ROOT): { commit: string | null; dirty: boolean | null } {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const changes = execFileSync('git', ['status', '--porcelain', '--', '.', ':!tools/lab/results', ':!tools/load/results'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return { commit, dirty: changes.trim() !== '' };
  } catch {
    return { commit: null, dirty: null };
  }
}

/** How a reader reruns this: `npm run <script> -- <the arguments given>`. */
export function commandLine(script: string, args = process.argv.slice(2)): string {
  return [`npm run ${script}`, ...(args.length > 0 ? ['--', ...args.map(quoteArg)] : [])].join(' ');
}

function quoteArg(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`;
}

/**
 * The versions of what the measurement ran on, asked of the servers themselves (a server that
 * does not answer is left out, not guessed).
 */
export async function stackVersions(config: TenkConfig): Promise<Record<string, string>> {
  const versions: Record<string, string> = { node: process.version.replace(/^v/, '') };
  const { primary, user, password, catalogDatabase } = config.postgres;
  const pg = new Client({
    host: primary.host,
    port: primary.port,
    user,
    password,
    database: catalogDatabase,
    connectionTimeoutMillis: 2_000,
  });
  try {
    await pg.connect();
    versions['postgresql'] = String(
      (await pg.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ?? '',
    ).split(' ')[0];
  } catch {
    // Not running: the result says nothing about it.
  } finally {
    await pg.end().catch(() => undefined);
  }
  const redis = new Redis({
    ...redisConnection(config.redis.cache),
    lazyConnect: true,
    connectTimeout: 2_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
    const match = /redis_version:(\S+)/.exec(await redis.info('server'));
    if (match) versions['redis'] = match[1];
  } catch {
    // As above.
  } finally {
    redis.disconnect();
  }
  const kafka = kafkaVersion(config.paths.cache);
  if (kafka) versions['kafka'] = kafka;
  return versions;
}

/** Kafka's version from the jars tools/infra fetched (`.tenk/cache/kafka-<version>`). */
function kafkaVersion(cacheDir: string): string | null {
  if (!existsSync(cacheDir)) return null;
  const found = readdirSync(cacheDir)
    .map((name) => /^kafka-(\d[\w.-]*)$/.exec(name)?.[1])
    .filter((version): version is string => version !== undefined)
    .sort();
  return found.at(-1) ?? null;
}

export async function runStamp(input: {
  config: TenkConfig;
  script: string;
  args?: string[];
  git: ReturnType<typeof gitState>;
  load: LoadSummary;
  seconds: number;
}): Promise<RunStamp> {
  return {
    ...input.git,
    command: commandLine(input.script, input.args),
    versions: await stackVersions(input.config),
    machine: machineDescription(),
    load: input.load,
    quiet: input.load.otherCoresBefore <= QUIET_CORES && input.load.otherCoresDuring <= QUIET_CORES,
    seconds: Math.round(input.seconds),
  };
}

import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Redis from 'ioredis';
import { PORT_VARIABLES, type RedisEndpoint, type TenkConfig } from '@tenk/config';
import { serviceDirs } from '../layout';
import { ensurePortFree } from '../ports';
import type { InfraService, ServiceStatus } from '../service';
import { commandExists, runOrThrow, waitFor } from '../shell';
import { atSpot, listenAddresses, LOCAL, type Spot } from '../spot';
import { livePid, stopPid } from './pidfile';

type Role = 'cache' | 'queue';

/** The settings that make each Redis fit its job. */
function roleSettings(config: TenkConfig, role: Role): string[] {
  if (role === 'cache') {
    // A cache: bounded memory, evict the least recently used key, nothing written to disk.
    return [`maxmemory ${config.redis.cache.maxMemory}`, 'maxmemory-policy allkeys-lru', 'appendonly no'];
  }
  // Jobs and sessions: never evict (Bull needs it), and append every write to disk so they
  // survive a restart.
  return ['maxmemory-policy noeviction', 'appendonly yes', 'appendfsync everysec'];
}

/** A short-lived client of the server at `host:port`, signing in with `password` when given. */
async function connect(host: string, port: number, password: string | undefined): Promise<Redis> {
  const client = new Redis({
    host,
    port,
    ...(password !== undefined ? { password } : {}),
    lazyConnect: true,
    enableReadyCheck: false,
    connectTimeout: 1_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return client;
  } catch (error) {
    client.disconnect();
    throw error;
  }
}

async function ping(host: string, endpoint: RedisEndpoint): Promise<string> {
  const client = await connect(host, endpoint.port, endpoint.password);
  try {
    await client.ping();
    const info = await client.info('memory');
    const used = /used_memory_human:(\S+)/.exec(info)?.[1] ?? '?';
    const policy = /maxmemory_policy:(\S+)/.exec(info)?.[1] ?? '?';
    const [, requirepass] = (await client.config('GET', 'requirepass')) as string[];
    const auth = requirepass ? 'password' : 'NO PASSWORD';
    return `${policy}, ${used} used, ${auth}`;
  } finally {
    client.disconnect();
  }
}

/**
 * Gives a running Redis the configured password in place (CONFIG SET requirepass: no restart,
 * no data lost, connections already signed in stay so), when it has none yet: a stack from
 * before tools/infra set passwords. A Redis that already asks for this password is left alone.
 */
async function applyPassword(name: string, host: string, endpoint: RedisEndpoint, log: (line: string) => void): Promise<void> {
  if (endpoint.password === undefined) return;
  let open: Redis;
  try {
    open = await connect(host, endpoint.port, undefined);
    await open.ping();
  } catch (error) {
    if (/NOAUTH/.test((error as Error).message)) {
      // It asks for a password already: it must be ours.
      (
        await connect(host, endpoint.port, endpoint.password).catch((wrong: Error) => {
          throw new Error(
            `${name} asks for a password, and not the one tools/infra has for it (${wrong.message}); set TENK_REDIS_PASSWORD to its password, or stop it and run up again`,
          );
        })
      ).disconnect();
      return;
    }
    throw error;
  }
  try {
    await open.config('SET', 'requirepass', endpoint.password);
    log('had no password: set one in place (CONFIG SET requirepass; data kept, no restart)');
  } finally {
    open.disconnect();
  }
}

/**
 * The cache or the queue Redis, at a spot: this machine's loopback, or a host of tools/hosts
 * (then named `<host>-cache`/`-queue` so each keeps its own folders).
 */
export function redisService(role: Role, spot: Spot = LOCAL, name = `redis-${role}`): InfraService {
  const host = spot.address;
  const portOf = (config: TenkConfig) => config.redis[role].port;
  const files = (config: TenkConfig) => {
    const dirs = serviceDirs(config, name);
    return { ...dirs, pid: path.join(dirs.run, 'redis.pid'), conf: path.join(dirs.run, 'redis.conf') };
  };

  return {
    name,
    after: [],
    port: portOf,
    packages: () => [{ debian: 'redis-server', present: () => commandExists('redis-server') }],
    dataDirs: (config) => [files(config).data],

    async status(config): Promise<ServiceStatus> {
      const pid = livePid(files(config).pid);
      if (!pid) return { running: false, healthy: false };
      try {
        return { running: true, healthy: true, pid, detail: await ping(host, config.redis[role]) };
      } catch (error) {
        return { running: true, healthy: false, pid, detail: (error as Error).message };
      }
    },

    async start(config, log) {
      const f = files(config);
      if (livePid(f.pid)) return;
      const port = portOf(config);
      await ensurePortFree(name, port, PORT_VARIABLES[role === 'cache' ? 'redisCache' : 'redisQueue'], host);
      mkdirSync(f.data, { recursive: true });
      writeFileSync(
        f.conf,
        [
          '# Written by tools/infra on every start.',
          `bind ${listenAddresses(spot).join(' ')}`,
          `port ${port}`,
          'daemonize yes',
          `pidfile ${f.pid}`,
          `logfile ${f.log}`,
          `dir ${f.data}`,
          'save ""',
          'protected-mode yes',
          // Sessions and jobs live here: clients sign in with the machine's password (.tenk/secrets.env).
          ...(config.redis[role].password !== undefined ? [`requirepass ${config.redis[role].password}`] : []),
          ...roleSettings(config, role),
          '',
        ].join('\n'),
        { mode: 0o600 },
      );
      chmodSync(f.conf, 0o600);
      log(`starting on ${host}:${port}`);
      await runOrThrow(...atSpot(spot, 'redis-server', [f.conf]));
      if (!(await waitFor(async () => (await ping(host, config.redis[role]), true), 10_000)))
        throw new Error(`${name} did not answer PING within 10 s; see ${f.log}`);
    },

    async secure(config, log) {
      await applyPassword(name, host, config.redis[role], log);
    },

    async stop(config) {
      await stopPid(files(config).pid);
    },
  };
}

export const redisCache = redisService('cache');
export const redisQueue = redisService('queue');

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Redis from 'ioredis';
import { PORT_VARIABLES, type TenkConfig } from '@tenk/config';
import { serviceDirs } from '../layout';
import { ensurePortFree } from '../ports';
import type { InfraService, ServiceStatus } from '../service';
import { commandExists, runOrThrow, waitFor } from '../shell';
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

async function ping(port: number): Promise<string> {
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, connectTimeout: 1_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await client.connect();
    await client.ping();
    const info = await client.info('memory');
    const used = /used_memory_human:(\S+)/.exec(info)?.[1] ?? '?';
    const policy = /maxmemory_policy:(\S+)/.exec(info)?.[1] ?? '?';
    return `${policy}, ${used} used`;
  } finally {
    client.disconnect();
  }
}

function redisService(role: Role): InfraService {
  const name = `redis-${role}`;
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
        return { running: true, healthy: true, pid, detail: await ping(portOf(config)) };
      } catch (error) {
        return { running: true, healthy: false, pid, detail: (error as Error).message };
      }
    },

    async start(config, log) {
      const f = files(config);
      if (livePid(f.pid)) return;
      const port = portOf(config);
      await ensurePortFree(name, port, PORT_VARIABLES[role === 'cache' ? 'redisCache' : 'redisQueue']);
      mkdirSync(f.data, { recursive: true });
      writeFileSync(
        f.conf,
        [
          '# Written by tools/infra on every start.',
          'bind 127.0.0.1',
          `port ${port}`,
          'daemonize yes',
          `pidfile ${f.pid}`,
          `logfile ${f.log}`,
          `dir ${f.data}`,
          'save ""',
          'protected-mode yes',
          ...roleSettings(config, role),
          '',
        ].join('\n'),
      );
      log(`starting on 127.0.0.1:${port}`);
      await runOrThrow('redis-server', [f.conf]);
      if (!(await waitFor(async () => (await ping(port), true), 10_000))) throw new Error(`${name} did not answer PING within 10 s; see ${f.log}`);
    },

    async stop(config) {
      await stopPid(files(config).pid);
    },
  };
}

export const redisCache = redisService('cache');
export const redisQueue = redisService('queue');

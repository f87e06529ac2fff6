import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { loadConfig, redisConnection, type RedisEndpoint } from '@tenk/config';
import { freePort } from './ports';
import { eventually } from './wait';

export interface EphemeralRedis {
  port: number;
  /** Where it is and its password: for clients and the CachingModule's `redis` option. */
  endpoint: RedisEndpoint;
  /** Stops it (SIGTERM) and waits for the exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port (after stop()). */
  restart(): Promise<void>;
}

/**
 * A private redis-server on a free port, for tests that stop or break Redis on purpose
 * without touching the shared stack. Needs redis-server (tools/infra installs it). It asks for
 * this machine's Redis password (TENK_REDIS_PASSWORD, or the stack's in .tenk/secrets.env) when
 * there is one, like the stack's: a configuration pointed at it by port alone connects.
 */
export async function startEphemeralRedis(
  settings: string[] = ['--maxmemory-policy', 'allkeys-lru'],
  options: { password?: string } = { password: loadConfig().redis.queue.password },
): Promise<EphemeralRedis> {
  const port = await freePort();
  const endpoint: RedisEndpoint = { host: '127.0.0.1', port, ...(options.password !== undefined ? { password: options.password } : {}) };
  const auth = options.password !== undefined ? ['--requirepass', options.password] : [];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tenk-redis-'));
  let child: ChildProcess | undefined;

  const start = async () => {
    child = spawn(
      'redis-server',
      ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir, ...auth, ...settings],
      { stdio: 'ignore' },
    );
    await eventually(
      async () => {
        const client = new Redis({ ...redisConnection(endpoint), lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
        // Refused connections while the server starts are expected: the probe just tries again.
        client.on('error', () => undefined);
        try {
          await client.connect();
          return (await client.ping()) === 'PONG';
        } finally {
          client.disconnect();
        }
      },
      `redis-server on :${port} did not start`,
      10_000,
    );
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGTERM');
    await exited;
  };

  await start();
  return {
    port,
    endpoint,
    stop: async () => {
      await stop();
    },
    restart: start,
  };
}

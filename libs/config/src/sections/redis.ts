import { EnvReader } from '../env-reader';
import { readTls, type TlsSettings } from './tls';

/**
 * Where a Redis is and how to sign in to it. The password (TENK_REDIS_PASSWORD or
 * TENK_REDIS_PASSWORD_FILE; the local stack's comes from `.tenk/secrets.env`) is sent only when
 * one is configured, so a client works against a Redis without one too.
 */
export interface RedisEndpoint {
  host: string;
  port: number;
  /** An ACL user (Redis 6+); without it, the `default` user. */
  username?: string;
  password?: string;
  /** TLS (TENK_REDIS_TLS, TENK_REDIS_TLS_CA); undefined: plain TCP. */
  tls?: TlsSettings;
}

export interface RedisConfig {
  /** The cache Redis: allkeys-lru with a maxmemory; losing it costs speed, never data. */
  cache: RedisEndpoint & { maxMemory: string };
  /** The queue Redis: noeviction and AOF, since Bull jobs and sessions must survive. */
  queue: RedisEndpoint;
}

export function readRedis(env: EnvReader): RedisConfig {
  const password = env.secret('TENK_REDIS_PASSWORD');
  const username = env.has('TENK_REDIS_USERNAME') ? env.string('TENK_REDIS_USERNAME', '') : undefined;
  if (username !== undefined && password === undefined)
    env.problem('TENK_REDIS_USERNAME', username, 'needs TENK_REDIS_PASSWORD (or TENK_REDIS_PASSWORD_FILE) too');
  const tls = readTls(env, 'TENK_REDIS_TLS');
  const auth = {
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(tls ? { tls } : {}),
  };
  return {
    cache: {
      host: env.string('TENK_REDIS_CACHE_HOST', '127.0.0.1'),
      port: env.servicePort('redisCache'),
      ...auth,
      maxMemory: env.string('TENK_REDIS_CACHE_MAXMEMORY', '256mb'),
    },
    queue: {
      host: env.string('TENK_REDIS_QUEUE_HOST', '127.0.0.1'),
      port: env.servicePort('redisQueue'),
      ...auth,
    },
  };
}

/**
 * Connection options for ioredis (and Bull, which passes them to ioredis) from an endpoint:
 * host, port, and the username, password and TLS only when set.
 */
export function redisConnection(endpoint: RedisEndpoint): {
  host: string;
  port: number;
  username?: string;
  password?: string;
  tls?: { ca?: string; servername: string };
} {
  return {
    host: endpoint.host,
    port: endpoint.port,
    ...(endpoint.username !== undefined ? { username: endpoint.username } : {}),
    ...(endpoint.password !== undefined ? { password: endpoint.password } : {}),
    ...(endpoint.tls ? { tls: { ...endpoint.tls, servername: endpoint.host } } : {}),
  };
}

import { EnvReader } from '../env-reader';

export interface RedisEndpoint {
  host: string;
  port: number;
}

export interface RedisConfig {
  /** The cache Redis: allkeys-lru with a maxmemory; losing it costs speed, never data. */
  cache: RedisEndpoint & { maxMemory: string };
  /** The queue Redis: noeviction and AOF, since Bull jobs and sessions must survive. */
  queue: RedisEndpoint;
}

export function readRedis(env: EnvReader): RedisConfig {
  return {
    cache: {
      host: env.string('TENK_REDIS_CACHE_HOST', '127.0.0.1'),
      port: env.servicePort('redisCache'),
      maxMemory: env.string('TENK_REDIS_CACHE_MAXMEMORY', '256mb'),
    },
    queue: {
      host: env.string('TENK_REDIS_QUEUE_HOST', '127.0.0.1'),
      port: env.servicePort('redisQueue'),
    },
  };
}

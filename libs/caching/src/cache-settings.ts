import type { CacheConfig, RedisEndpoint, TenkConfig } from '@tenk/config';
import type { CachingModuleOptions } from './caching.module-definition';

/** The `cache` configuration with the module's overrides applied, and the Redis to use. */
export interface CacheSettings extends CacheConfig {
  redis: RedisEndpoint;
}

export const CACHE_SETTINGS = Symbol.for('tenk.caching.settings');

export function resolveCacheSettings(config: TenkConfig, options: CachingModuleOptions): CacheSettings {
  const { host, port, username, password, tls } = options.redis ?? config.redis.cache;
  const redis: RedisEndpoint = {
    host,
    port,
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(tls ? { tls } : {}),
  };
  const settings = { ...config.cache, ...(options.settings ?? {}), redis };
  // A replica read may be up to TENK_REPLICA_MAX_LAG old: entries must not be filled from one sooner after a write.
  const replicaMaxLagMs = config.dataRouting?.replica.maxLagMs ?? 0;
  return options.settings?.settleMs === undefined ? { ...settings, settleMs: Math.max(settings.settleMs, replicaMaxLagMs) } : settings;
}

import type { Provider } from '@nestjs/common';
import KeyvRedis, { Keyv } from '@keyv/redis';
import { createCache, type Cache } from 'cache-manager';
import { TENK_CONFIG, type TenkConfig } from '@tenk/config';
import { CACHE_SETTINGS, resolveCacheSettings, type CacheSettings } from './cache-settings';
import { CacheMetrics } from './cache.metrics';
import { CacheService, SHARED_CACHE } from './cache.service';
import { CacheKeys } from './cache-keys';
import { CACHING_OPTIONS, type CachingModuleOptions } from './caching.module-definition';
import { CachingHealth } from './caching.health';
import { CacheDecoratorsExplorer } from './decorators/cache-decorators.explorer';
import { Generations } from './generations';
import { HttpCacheInterceptor } from './http/http-cache.interceptor';
import { LocalTier } from './local-tier';
import { CacheRedis } from './redis/cache-redis';
import { FailOpenStore } from './redis/fail-open-store';
import { Leases } from './redis/leases';
import { RedisGuard } from './redis/redis-guard';

/** cache-manager 7 on a Keyv store: @keyv/redis on our connection, behind the fail-open guard. */
export function createSharedCache(redis: CacheRedis, guard: RedisGuard): Cache {
  const store = new KeyvRedis<string>(redis.client, { throwOnErrors: true, throwOnConnectError: true });
  const keyv = new Keyv({ store: new FailOpenStore(store, guard), useKeyPrefix: false });
  // Keys are complete already (CacheKeys): no Keyv namespace in front of them.
  keyv.namespace = undefined;
  return createCache({ stores: [keyv] });
}

export const CACHING_PROVIDERS: Provider[] = [
  {
    provide: CACHE_SETTINGS,
    inject: [TENK_CONFIG, CACHING_OPTIONS],
    useFactory: (config: TenkConfig, options: CachingModuleOptions) => resolveCacheSettings(config, options),
  },
  {
    provide: CacheKeys,
    inject: [CACHE_SETTINGS],
    useFactory: (settings: CacheSettings) => new CacheKeys(settings.namespace, settings.version),
  },
  {
    provide: LocalTier,
    inject: [CACHE_SETTINGS],
    useFactory: (settings: CacheSettings) => new LocalTier(settings.localMaxEntries, settings.localTtlMs),
  },
  { provide: SHARED_CACHE, inject: [CacheRedis, RedisGuard], useFactory: createSharedCache },
  CacheRedis,
  RedisGuard,
  CacheMetrics,
  Leases,
  Generations,
  CacheService,
  CacheDecoratorsExplorer,
  CachingHealth,
  HttpCacheInterceptor,
];

import { DynamicModule, Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { CACHE_SETTINGS } from './cache-settings';
import { CacheService } from './cache.service';
import { CACHING_OPTIONS_TYPE, CachingConfigurableModule } from './caching.module-definition';
import { CACHING_PROVIDERS } from './caching.providers';
import { HttpCacheInterceptor } from './http/http-cache.interceptor';

/**
 * The cache: CacheService (read-through with stampede protection, tag invalidation, fail-open),
 * @Cacheable / @InvalidatesCache for provider methods, @HttpCache for routes, TypeORM's query
 * cache (useQueryResultCache), `redis-cache` readiness and `tenk_cache_*` metrics. Import once,
 * in the root module; it honours the `cache` pattern switch when SwitchesModule is there too.
 */
@Global()
@Module({})
export class CachingModule extends CachingConfigurableModule {
  static override forRoot(options: typeof CACHING_OPTIONS_TYPE = {}): DynamicModule {
    const base = super.forRoot(options);
    return {
      ...base,
      global: true,
      imports: [DiscoveryModule],
      providers: [...(base.providers ?? []), ...CACHING_PROVIDERS],
      exports: [CacheService, HttpCacheInterceptor, CACHE_SETTINGS],
    };
  }
}

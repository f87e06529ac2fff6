import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { CacheConfig, RedisEndpoint } from '@tenk/config';

export interface CachingModuleOptions {
  /** Overrides of the `cache` configuration section (tests: a unique namespace, short TTLs). */
  settings?: Partial<CacheConfig>;
  /** Another Redis than TENK_REDIS_CACHE_* (tests: an ephemeral one, or a TcpProxy in front of one). */
  redis?: RedisEndpoint;
}

export const {
  ConfigurableModuleClass: CachingConfigurableModule,
  MODULE_OPTIONS_TOKEN: CACHING_OPTIONS,
  OPTIONS_TYPE: CACHING_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<CachingModuleOptions>().setClassMethodName('forRoot').build();

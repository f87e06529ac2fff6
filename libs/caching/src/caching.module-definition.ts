import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { CacheConfig, RedisEndpoint } from '@tenk/config';

export interface CachingModuleOptions {
  /** Overrides of the `cache` configuration section (tests: a unique namespace, short TTLs). */
  settings?: Partial<CacheConfig>;
  /** Another Redis than TENK_REDIS_CACHE_* (tests: an ephemeral one, or a TcpProxy in front of one). */
  redis?: RedisEndpoint;
  /**
   * Whether the lookup being made is for a client that must see its own recent writes (the api:
   * a read-your-writes token from @tenk/database). Such lookups read their tags' generations
   * from Redis rather than from what this process remembers: the invalidation of a write made
   * through another instance may still be on its way here over pub/sub (a few ms), and the
   * client would read the entry its write replaced. Everyone else keeps the remembered ones.
   */
  mustSeeOwnWrites?: () => boolean;
}

export const {
  ConfigurableModuleClass: CachingConfigurableModule,
  MODULE_OPTIONS_TOKEN: CACHING_OPTIONS,
  OPTIONS_TYPE: CACHING_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<CachingModuleOptions>().setClassMethodName('forRoot').build();

import { DynamicModule, Global, Inject, Injectable, Module, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { createCache, type Cache } from 'cache-manager';
import { Keyv } from 'keyv';
import KeyvRedis from '@keyv/redis';
import { InjectConfig, type TenkConfig } from '@tenk/config';
import { HealthRegistry } from '@tenk/observability';

export const CACHE = Symbol.for('tenk.cache');

/** cache-manager 7 on a Keyv Redis store (the cache Redis). Times are milliseconds. */
@Injectable()
export class CacheConnection implements OnModuleInit, OnModuleDestroy {
  readonly store: Keyv;
  readonly cache: Cache;

  constructor(@InjectConfig() config: TenkConfig, private readonly health: HealthRegistry) {
    const { host, port } = config.redis.cache;
    this.store = new Keyv({ store: new KeyvRedis(`redis://${host}:${port}`), namespace: 'tenk', useKeyPrefix: false });
    this.cache = createCache({ stores: [this.store] });
  }

  onModuleInit(): void {
    this.health.register({
      name: 'redis-cache',
      // The cache fails open: without it the shop is slower, not down.
      critical: false,
      check: async () => {
        const probe = `health:${process.pid}`;
        await this.cache.set(probe, Date.now(), 5_000);
      },
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.cache.disconnect();
  }
}

@Global()
@Module({})
export class CachingModule {
  static forRoot(): DynamicModule {
    return {
      module: CachingModule,
      global: true,
      providers: [CacheConnection, { provide: CACHE, inject: [CacheConnection], useFactory: (connection: CacheConnection) => connection.cache }],
      exports: [CacheConnection, CACHE],
    };
  }
}

export const InjectCache = (): ParameterDecorator => Inject(CACHE);

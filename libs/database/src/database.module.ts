import { DynamicModule, Global, Module } from '@nestjs/common';
import { ResilienceService } from '@tenk/resilience';
import { CatalogDatabase } from './catalog-database';
import { DATABASE_OPTIONS_TYPE, DatabaseConfigurableModule } from './database.module-definition';
import { ReadYourWritesHook } from './replica/read-your-writes.hook';
import { ReadYourWritesMiddleware } from './replica/read-your-writes.middleware';
import { ShardDatabases } from './shard-databases';
import { shardBreakers } from './sharding/shard-breakers';
import { SHARD_CALL_POLICY, ShardRouter } from './sharding/shard-router';

/**
 * The catalog primary + replica (with read routing) and the order shards (with the
 * ShardRouter), with their readiness checks and metrics. Every HTTP request gets a
 * read-your-writes scope from the client's last-write token (ReadYourWritesHook).
 */
@Global()
@Module({})
export class DatabaseModule extends DatabaseConfigurableModule {
  static override forRoot(options: typeof DATABASE_OPTIONS_TYPE): DynamicModule {
    const base = super.forRoot(options);
    return {
      ...base,
      global: true,
      providers: [
        ...(base.providers ?? []),
        CatalogDatabase,
        ShardDatabases,
        ShardRouter,
        ReadYourWritesMiddleware,
        ReadYourWritesHook,
        // One circuit breaker per shard, where the app imports ResilienceModule; calls run as is otherwise.
        {
          provide: SHARD_CALL_POLICY,
          useFactory: (resilience?: ResilienceService) => (resilience ? shardBreakers(resilience) : undefined),
          inject: [{ token: ResilienceService, optional: true }],
        },
      ],
      exports: [CatalogDatabase, ShardDatabases, ShardRouter],
    };
  }
}

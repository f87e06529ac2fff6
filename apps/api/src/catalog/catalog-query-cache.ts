import { Injectable, OnModuleInit } from '@nestjs/common';
import { CacheService, useQueryResultCache } from '@tenk/caching';
import { CatalogDatabase } from '@tenk/database';

/**
 * TypeORM's query cache on the catalog DataSources (primary and replica), in Redis: queries
 * that ask for it with `.cache(...)` are answered from there, and every catalog write
 * (tag `catalog`) invalidates them.
 */
@Injectable()
export class CatalogQueryCache implements OnModuleInit {
  constructor(
    private readonly db: CatalogDatabase,
    private readonly cache: CacheService,
  ) {}

  onModuleInit(): void {
    for (const source of [this.db.primary, this.db.replica.unwrap()]) useQueryResultCache(source, this.cache, { tags: ['catalog'] });
  }
}

import { Injectable, OnModuleInit } from '@nestjs/common';
import { HealthRegistry } from '@tenk/observability';
import { CacheService } from './cache.service';
import { LocalTier } from './local-tier';
import { CacheRedis } from './redis/cache-redis';
import { RedisGuard } from './redis/redis-guard';

/** `redis-cache` in /health/ready: not critical, since without it the shop is slower, not down. */
@Injectable()
export class CachingHealth implements OnModuleInit {
  constructor(
    private readonly health: HealthRegistry,
    private readonly redis: CacheRedis,
    private readonly guard: RedisGuard,
    private readonly local: LocalTier,
    private readonly cache: CacheService,
  ) {}

  onModuleInit(): void {
    this.health.register({
      name: 'redis-cache',
      critical: false,
      check: async () => {
        await this.redis.client.ping();
        const details = {
          enabled: this.cache.enabled,
          invalidations: this.redis.subscriberLive ? 'live' : 'interrupted',
          localEntries: this.local.size,
        };
        if (this.guard.isOpen) return { degraded: true, details: { ...details, breaker: 'open: bypassing the cache' } };
        if (!this.redis.subscriberLive) return { degraded: true, details };
        return { details };
      },
    });
  }
}

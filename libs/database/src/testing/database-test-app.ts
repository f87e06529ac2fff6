import { Test, type TestingModule } from '@nestjs/testing';
import { ConfigModule, type TenkConfig } from '@tenk/config';
import { ObservabilityModule } from '@tenk/observability';
import { ResilienceModule } from '@tenk/resilience';
import { SwitchesModule } from '@tenk/switches';
import { DatabaseModule } from '../database.module';

/**
 * A Nest context with the real DatabaseModule (catalog primary + replica, shards, router) on
 * `config`, for integration tests. With `switches`, the real SwitchesModule too (point
 * TENK_REDIS_QUEUE_PORT at a private Redis: switching is shared by every process on a Redis).
 * With `resilience`, ResilienceModule too, so the ShardRouter gets one circuit breaker per shard.
 */
export async function startDatabaseContext(
  config: TenkConfig,
  options: { switches?: boolean; resilience?: boolean } = {},
): Promise<TestingModule> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      ConfigModule.forRoot(config),
      ObservabilityModule.forRoot({ service: 'database-test' }),
      ...(options.switches ? [SwitchesModule] : []),
      ...(options.resilience ? [ResilienceModule] : []),
      DatabaseModule.forRoot({ processName: 'database-test', catalogEntities: [] }),
    ],
  }).compile();
  await moduleRef.init();
  return moduleRef;
}

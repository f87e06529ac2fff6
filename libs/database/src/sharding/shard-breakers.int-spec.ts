import type { TestingModule } from '@nestjs/testing';
import { Client } from 'pg';
import { loadConfig } from '@tenk/config';
import { HealthRegistry } from '@tenk/observability';
import { isCircuitOpenError, ResilienceService } from '@tenk/resilience';
import { eventually, uniqueName } from '@tenk/testing';
import { createScratchDatabases, type ScratchDatabases } from '../scratch-databases';
import { startDatabaseContext } from '../testing/database-test-app';
import { ShardRouter } from './shard-router';

/**
 * One breaker per shard, against real databases: one scratch shard made unreachable (its
 * database stops accepting connections and its sessions are ended, while the server keeps
 * serving the others) fails fast for its own customers and leaves the other shard's customers
 * unaffected; once it accepts connections again, probes close its breaker.
 */
describe('per-shard circuit breakers', () => {
  let scratch: ScratchDatabases;
  let moduleRef: TestingModule;
  let router: ShardRouter;
  let resilience: ResilienceService;
  const customers: Record<string, string> = {};

  const ping = (customerId: string) =>
    router.forCustomer(customerId).read(async (manager) => ((await manager.query('SELECT 1 AS one')) as Array<{ one: number }>)[0].one);

  async function admin(sql: string): Promise<void> {
    const { postgres } = scratch.config;
    const client = new Client({
      host: postgres.primary.host,
      port: postgres.primary.port,
      user: postgres.user,
      password: postgres.password,
      database: scratch.catalog,
    });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }

  beforeAll(async () => {
    scratch = await createScratchDatabases(loadConfig(), {
      name: uniqueName('shard_breakers'),
      shards: 2,
      env: {
        TENK_RESILIENCE_SHARD_MIN_CALLS: '3',
        TENK_RESILIENCE_SHARD_OPEN_FOR: '300ms',
        TENK_RESILIENCE_SHARD_PROBES: '2',
        TENK_LOG_LEVEL: 'silent',
      },
    });
    moduleRef = await startDatabaseContext(scratch.config, { resilience: true });
    router = moduleRef.get(ShardRouter);
    resilience = moduleRef.get(ResilienceService);
    for (let i = 0; Object.keys(customers).length < 2; i++) {
      const shard = router.forCustomer(`customer-${i}`).shard;
      customers[shard] ??= `customer-${i}`;
    }
  });

  afterAll(async () => {
    await moduleRef?.close();
    await scratch?.drop();
  });

  it('fails fast for the unreachable shard only, and closes again when it is back', async () => {
    const [healthy, dead] = scratch.shards;
    expect(await ping(customers[healthy])).toBe(1);
    expect(await ping(customers[dead])).toBe(1);

    await admin(`ALTER DATABASE "${dead}" ALLOW_CONNECTIONS false`);
    await admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${dead}'`);

    await eventually(
      async () => isCircuitOpenError(await ping(customers[dead]).catch((error: unknown) => error)),
      `the ${dead} breaker opens`,
    );
    expect(resilience.breaker(`shard:${dead}`).state).toBe('open');
    // The other shard's customers never notice.
    for (let i = 0; i < 20; i++) expect(await ping(customers[healthy])).toBe(1);
    expect(resilience.breaker(`shard:${healthy}`).state).toBe('closed');
    const readiness = moduleRef
      .get(HealthRegistry)
      .list()
      .find((check) => check.name === 'circuit-breakers')!;
    await expect(readiness.check()).resolves.toMatchObject({ degraded: true, details: { open: [`shard:${dead}`] } });

    await admin(`ALTER DATABASE "${dead}" ALLOW_CONNECTIONS true`);
    await eventually(
      async () => (await ping(customers[dead]).catch(() => 0)) === 1 && resilience.breaker(`shard:${dead}`).state === 'closed',
      `the ${dead} breaker closes after its probes`,
    );
  });

  it('does not count a query error against the shard', async () => {
    const [healthy] = scratch.shards;
    for (let i = 0; i < 10; i++) {
      await expect(
        router.forCustomer(customers[healthy]).read((manager) => manager.query('SELECT no_such_column FROM shard_buckets')),
      ).rejects.toThrow('no_such_column');
    }
    expect(resilience.breaker(`shard:${healthy}`).state).toBe('closed');
  });
});

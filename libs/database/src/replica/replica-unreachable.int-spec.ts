import type { TestingModule } from '@nestjs/testing';
import { loadConfig } from '@tenk/config';
import { eventually, TcpProxy, uniqueName } from '@tenk/testing';
import { CatalogDatabase } from '../catalog-database';
import { createScratchDatabases, type ScratchDatabases } from '../scratch-databases';
import { startDatabaseContext } from '../testing/database-test-app';

/**
 * The replica cut off (a TCP proxy in front of the real one, so the shared replica keeps
 * running for everyone else): the process still boots, and catalog reads are still served.
 */
describe('catalog reads when the replica is unreachable', () => {
  let scratch: ScratchDatabases;
  let proxy: TcpProxy;
  let context: TestingModule;
  let db: CatalogDatabase;
  const standby = async () =>
    ((await db.read((source) => source.query('SELECT pg_is_in_recovery() AS standby'))) as Array<{ standby: boolean }>)[0].standby;

  beforeAll(async () => {
    const base = loadConfig();
    proxy = await new TcpProxy({ host: base.postgres.replica.host, port: base.postgres.replica.port }).start();
    proxy.cut();
    scratch = await createScratchDatabases(base, {
      name: uniqueName('replica_cut'),
      shards: 1,
      env: { TENK_PG_REPLICA_PORT: String(proxy.port), TENK_REPLICA_POLL: '50ms' },
    });
    // Booting with the replica unreachable must work: it is connected lazily.
    context = await startDatabaseContext(scratch.config);
    db = context.get(CatalogDatabase);
  });

  afterAll(async () => {
    await context?.close();
    await scratch?.drop();
    await proxy?.stop();
  });

  it('boots without the replica and serves reads from the primary', async () => {
    const state = await db.probeReplica();
    expect(state.up).toBe(false);
    expect(db.route()).toEqual({ target: 'primary', reason: 'replica-down' });
    expect(await standby()).toBe(false);
  });

  it('uses the replica once it is reachable again', async () => {
    proxy.restore();
    await eventually(async () => (await db.probeReplica()).up && db.route().target === 'replica', 'reads never went back to the replica');
    expect(await standby()).toBe(true);
  });

  it('serves a read whose replica connection dies under it, from the primary', async () => {
    await eventually(() => db.route().target === 'replica', 'the replica is not in use');
    proxy.cut();
    // The prober has not noticed yet: the router still picks the replica, the read fails there
    // and is run again on the primary.
    expect(db.route().target).toBe('replica');
    expect(await standby()).toBe(false);
    await eventually(() => db.route().reason === 'replica-down', 'the cut replica was never marked down');
    for (let i = 0; i < 20; i++) expect(await standby()).toBe(false);
  });
});

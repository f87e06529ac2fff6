import type { DataSource } from 'typeorm';
import type { LazyDataSource } from '../lazy-data-source';
import { ReplicaMonitor } from './replica-monitor';
import { formatLsn } from './wal-lsn';

/** A primary and a replica that answer from plain numbers, counting the probes they get. */
function fakeDatabases() {
  const state = { primaryLsn: 100n, replayedLsn: 100n, primaryQueries: 0, replicaQueries: 0 };
  const primary = {
    query: async () => {
      state.primaryQueries++;
      return [{ lsn: formatLsn(state.primaryLsn) }];
    },
  } as unknown as DataSource;
  const replicaSource = {
    query: async () => {
      state.replicaQueries++;
      return [{ standby: true, replayed: formatLsn(state.replayedLsn) }];
    },
  };
  const replica = { get: async () => replicaSource } as unknown as LazyDataSource;
  return { state, primary, replica };
}

/** Lets the fake queries' promises settle between timer steps. */
async function advance(ms: number): Promise<void> {
  await jest.advanceTimersByTimeAsync(ms);
}

describe('ReplicaMonitor', () => {
  let monitor: ReplicaMonitor | undefined;

  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(async () => {
    await monitor?.stop();
    jest.useRealTimers();
  });

  it('probes every poll interval while reads are routed', async () => {
    const db = fakeDatabases();
    monitor = new ReplicaMonitor(db.primary, db.replica, { pollIntervalMs: 100, idlePollMaxMs: 2_000 });
    monitor.use();
    for (let i = 0; i < 20; i++) {
      await advance(100);
      monitor.use();
    }
    expect(db.state.replicaQueries).toBeGreaterThanOrEqual(19);
    expect(monitor.intervalMs).toBe(100);
  });

  it('spaces probes out, doubling up to idlePollMaxMs, once no read has been routed for idleAfterMs', async () => {
    const db = fakeDatabases();
    monitor = new ReplicaMonitor(db.primary, db.replica, { pollIntervalMs: 100, idlePollMaxMs: 2_000, idleAfterMs: 1_000 });
    monitor.use();
    await advance(900);
    expect(monitor.intervalMs).toBe(100);
    await advance(10_000);
    expect(monitor.intervalMs).toBe(2_000);
    const before = db.state.replicaQueries;
    await advance(10_000);
    expect(db.state.replicaQueries - before).toBe(5);
  });

  it('never slows down without idlePollMaxMs', async () => {
    const db = fakeDatabases();
    monitor = new ReplicaMonitor(db.primary, db.replica, { pollIntervalMs: 100 });
    monitor.use();
    await advance(5_000);
    expect(monitor.intervalMs).toBe(100);
    expect(db.state.replicaQueries).toBeGreaterThanOrEqual(49);
  });

  it('probes at once on the first read after idling, and goes back to the poll interval', async () => {
    const db = fakeDatabases();
    monitor = new ReplicaMonitor(db.primary, db.replica, { pollIntervalMs: 100, idlePollMaxMs: 2_000, idleAfterMs: 1_000 });
    monitor.use();
    await advance(8_000);
    expect(monitor.intervalMs).toBe(2_000);
    const checkedBefore = monitor.state.checkedAt;
    await advance(500);
    monitor.use();
    await advance(1);
    expect(monitor.state.checkedAt).toBeGreaterThan(checkedBefore);
    expect(monitor.intervalMs).toBe(100);
    const before = db.state.replicaQueries;
    await advance(500);
    expect(db.state.replicaQueries - before).toBeGreaterThanOrEqual(4);
  });

  it('counts a gap in sampling against the replica: WAL it has not replayed may be as old as the gap', async () => {
    const db = fakeDatabases();
    monitor = new ReplicaMonitor(db.primary, db.replica, { pollIntervalMs: 100, idlePollMaxMs: 2_000, idleAfterMs: 1_000 });
    monitor.use();
    await advance(8_000);
    expect(monitor.state.lagMs).toBe(0);
    // Written during the idle gap, not replayed yet: the next probe, right after a read, must not call it fresh.
    await advance(1_000);
    db.state.primaryLsn = 200n;
    monitor.use();
    await advance(1);
    expect(monitor.state.up).toBe(true);
    expect(monitor.state.lagMs).toBeGreaterThan(500);
  });
});

import type { DataSource } from 'typeorm';
import { ALL_ACKNOWLEDGED } from './outbox-publisher';
import { OutboxRelay } from './outbox-relay';

/**
 * When the relay looks at an empty shard: the schedule alone, with fake timers and a shard that
 * counts its polls (what a poll does against PostgreSQL is outbox-relay.int-spec.ts's part). A
 * poll is a locking transaction, or, after an empty round, the backlog count alone.
 */
describe('OutboxRelay idle polling', () => {
  let polls: number[];
  let transactions: number;
  let relay: OutboxRelay;

  beforeEach(() => {
    jest.useFakeTimers({ now: 0 });
    polls = [];
    transactions = 0;
    const source = {
      transaction: async (work: (manager: { query: () => Promise<unknown[]> }) => Promise<number>) => {
        polls.push(Date.now());
        transactions++;
        return work({ query: async () => [] });
      },
      query: async (sql: string) => {
        if (sql.includes('count(*)')) {
          polls.push(Date.now());
          return [{ unpublished: 0, oldest_ms: 0 }];
        }
        return [[], 0];
      },
    } as unknown as DataSource;
    relay = new OutboxRelay({
      shards: [{ name: 'shard_0', source: async () => source }],
      publisher: { publish: async () => ALL_ACKNOWLEDGED },
      batchSize: 100,
      pollIntervalMs: 250,
      idlePollMaxMs: 2_000,
      maxBackoffMs: 30_000,
      retentionMs: 60_000,
    });
    relay.start();
  });

  afterEach(async () => {
    await relay.stop();
    jest.useRealTimers();
  });

  it('doubles the poll interval while the outbox stays empty, up to the idle maximum', async () => {
    await jest.advanceTimersByTimeAsync(10_000);
    const gaps = polls.slice(1).map((at, i) => at - polls[i]);
    expect(gaps.slice(0, 6)).toEqual([250, 500, 1_000, 2_000, 2_000, 2_000]);
  });

  it('after an empty round, polls with the backlog count alone: no transaction while nothing is unpublished', async () => {
    await jest.advanceTimersByTimeAsync(10_000);
    expect(polls.length).toBeGreaterThan(6);
    expect(transactions).toBe(1);
    relay.nudge('shard_0');
    await jest.advanceTimersByTimeAsync(0);
    expect(transactions).toBe(2);
  });

  it('looks at once when nudged, and starts again from the normal interval', async () => {
    await jest.advanceTimersByTimeAsync(5_000);
    const before = polls.length;
    relay.nudge('shard_0');
    await jest.advanceTimersByTimeAsync(0);
    expect(polls.length).toBe(before + 1);
    const nudgedAt = polls.at(-1) as number;
    await jest.advanceTimersByTimeAsync(250);
    expect(polls.at(-1)).toBe(nudgedAt + 250);
  });
});

import { loadConfig } from '../tenk-config';

describe('data routing and orders configuration', () => {
  it('defaults to 256 buckets split evenly over the shard databases', () => {
    const { sharding, replica } = loadConfig({}).dataRouting;
    expect(sharding.buckets).toBe(256);
    expect(sharding.initialMap).toHaveLength(256);
    expect(sharding.initialMap[0]).toBe('shard_0');
    expect(sharding.initialMap[63]).toBe('shard_0');
    expect(sharding.initialMap[64]).toBe('shard_1');
    expect(sharding.initialMap[255]).toBe('shard_3');
    expect(replica.maxLagMs).toBe(2_000);
    expect(replica.readYourWrites).toBe(true);
  });

  it('can turn read-your-writes routing off (for the lab), and names a bad value', () => {
    expect(loadConfig({ TENK_REPLICA_READ_YOUR_WRITES: 'off' }).dataRouting.replica.readYourWrites).toBe(false);
    expect(() => loadConfig({ TENK_REPLICA_READ_YOUR_WRITES: 'sometimes' })).toThrow(/TENK_REPLICA_READ_YOUR_WRITES="sometimes"/);
  });

  it('reads an explicit initial map', () => {
    const { initialMap } = loadConfig({ TENK_SHARD_BUCKETS: '4', TENK_SHARD_DATABASES: 'a,b', TENK_SHARD_MAP: 'b:0-2, a:3' }).dataRouting
      .sharding;
    expect(initialMap).toEqual(['b', 'b', 'b', 'a']);
  });

  it('names what is wrong with a bad map', () => {
    expect(() => loadConfig({ TENK_SHARD_BUCKETS: '4', TENK_SHARD_MAP: 'shard_0:0-2' })).toThrow(
      /TENK_SHARD_MAP="shard_0:0-2": bucket 3 belongs to no shard/,
    );
    expect(() => loadConfig({ TENK_SHARD_BUCKETS: '4', TENK_SHARD_MAP: 'shard_9:0-3' })).toThrow(
      /"shard_9" is not in TENK_SHARD_DATABASES/,
    );
    expect(() => loadConfig({ TENK_SHARD_BUCKETS: '4', TENK_SHARD_MAP: 'shard_0:0-3,shard_1:3' })).toThrow(
      /bucket 3 is given to both shard_0 and shard_1/,
    );
    expect(() => loadConfig({ TENK_SHARD_BUCKETS: '5000' })).toThrow(/TENK_SHARD_BUCKETS="5000"/);
  });

  it('keeps stock holds longer than the request lease', () => {
    expect(() => loadConfig({ TENK_ORDER_LEASE: '1m', TENK_STOCK_HOLD: '90s' })).toThrow(
      /TENK_STOCK_HOLD="90000": must be at least twice TENK_ORDER_LEASE/,
    );
    expect(loadConfig({}).orders.outbox.relay).toBe(true);
  });
});

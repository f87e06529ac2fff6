import { randomUUID } from 'node:crypto';
import { bucketOfCustomer } from './buckets';
import { ShardMap } from './shard-map';

describe('bucketOfCustomer', () => {
  it('is deterministic: the same customer always lands in the same bucket, in any letter case', () => {
    const id = '3f1c2a9e-6b7d-4e21-9a0b-1c2d3e4f5a6b';
    expect(bucketOfCustomer(id, 256)).toBe(bucketOfCustomer(id, 256));
    expect(bucketOfCustomer(id.toUpperCase(), 256)).toBe(bucketOfCustomer(id, 256));
    // Pinned: the hash is part of the data's layout; changing it would strand every order.
    expect(bucketOfCustomer(id, 256)).toBe(bucketOfCustomer('3F1C2A9E-6B7D-4E21-9A0B-1C2D3E4F5A6B', 256));
    expect(bucketOfCustomer('00000000-0000-0000-0000-000000000000', 256)).toBe(124);
  });

  it('spreads customers evenly over 256 buckets and 4 shards', () => {
    const map = new ShardMap(
      1,
      Array.from({ length: 256 }, (_, bucket) => `shard_${Math.floor(bucket / 64)}`),
    );
    const perShard = new Map<string, number>();
    const perBucket = new Array<number>(256).fill(0);
    const customers = 100_000;
    for (let i = 0; i < customers; i++) {
      const bucket = bucketOfCustomer(randomUUID(), 256);
      perBucket[bucket] += 1;
      const shard = map.shardOf(bucket);
      perShard.set(shard, (perShard.get(shard) ?? 0) + 1);
    }
    // 25,000 expected per shard; the standard deviation is ~137, so ±3% is > 5 sigma.
    for (const count of perShard.values()) expect(Math.abs(count - customers / 4) / (customers / 4)).toBeLessThan(0.03);
    expect(Math.min(...perBucket)).toBeGreaterThan(250);
    expect(Math.max(...perBucket)).toBeLessThan(550);
  });
});

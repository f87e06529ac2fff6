import { randomUUID } from 'node:crypto';
import { bucketOfCustomer } from './buckets';
import { compressRanges, ShardMap } from './shard-map';

const FOUR = ['shard_0', 'shard_1', 'shard_2', 'shard_3'];

function evenMap(shards: string[], buckets = 256): ShardMap {
  return new ShardMap(
    1,
    Array.from({ length: buckets }, (_, bucket) => shards[Math.floor((bucket * shards.length) / buckets)]),
  );
}

describe('ShardMap', () => {
  it('maps buckets to shards and describes them as ranges', () => {
    const map = evenMap(FOUR);
    expect(map.shardOf(0)).toBe('shard_0');
    expect(map.shardOf(255)).toBe('shard_3');
    expect(map.describe('shard_1')).toBe('64-127');
    expect(map.shards()).toEqual(FOUR);
    expect(() => map.shardOf(256)).toThrow(/bucket 256 does not exist/);
    expect(compressRanges([1, 2, 3, 7, 9, 10])).toBe('1-3, 7, 9-10');
  });

  it('moves one bucket into a new version and reports the difference', () => {
    const map = evenMap(FOUR);
    const next = map.withMove(5, 'shard_3');
    expect(next.version).toBe(2);
    expect(next.shardOf(5)).toBe('shard_3');
    expect(map.shardOf(5)).toBe('shard_0');
    expect(map.movesTo(next)).toEqual([{ bucket: 5, from: 'shard_0', to: 'shard_3' }]);
  });

  it('plans 4 -> 5 shards moving about a fifth of the buckets (and keys), where modulo moves four fifths', () => {
    const map = evenMap(FOUR);
    const five = [...FOUR, 'shard_4'];
    const moves = map.planSpread(five);
    expect(moves).toHaveLength(51);
    expect(new Set(moves.map((move) => move.to))).toEqual(new Set(['shard_4']));
    let after = map;
    for (const move of moves) after = after.withMove(move.bucket, move.to);
    const sizes = five.map((shard) => after.bucketsOf(shard).length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);

    let bucketMoved = 0;
    let moduloMoved = 0;
    const keys = 50_000;
    for (let i = 0; i < keys; i++) {
      const id = randomUUID();
      const bucket = bucketOfCustomer(id, 256);
      if (map.shardOf(bucket) !== after.shardOf(bucket)) bucketMoved += 1;
      const hash = Number.parseInt(id.replace(/-/g, '').slice(0, 8), 16);
      if (hash % 4 !== hash % 5) moduloMoved += 1;
    }
    expect(bucketMoved / keys).toBeGreaterThan(0.17);
    expect(bucketMoved / keys).toBeLessThan(0.23);
    expect(moduloMoved / keys).toBeGreaterThan(0.77);
  });

  it('plans nothing when the buckets are already spread, and drains a shard that is left out', () => {
    const map = evenMap(FOUR);
    expect(map.planSpread(FOUR)).toEqual([]);
    const moves = map.planSpread(['shard_0', 'shard_1', 'shard_2']);
    expect(moves).toHaveLength(64);
    expect(moves.every((move) => move.from === 'shard_3')).toBe(true);
  });

  it('refuses maps with holes', () => {
    expect(() => new ShardMap(1, ['shard_0', ''])).toThrow(/bucket 1 has no shard/);
    expect(() => new ShardMap(0, ['shard_0'])).toThrow(/version/);
  });
});

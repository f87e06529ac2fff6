/** One bucket changing hands. */
export interface BucketMove {
  bucket: number;
  from: string;
  to: string;
}

/**
 * Which shard database owns each logical bucket, at one version. Immutable: a change makes
 * the next version. Buckets are fixed for the life of the data (order ids carry them); adding
 * a shard moves whole buckets, so only the moved buckets' rows are copied.
 */
export class ShardMap {
  readonly version: number;
  readonly #owners: readonly string[];

  constructor(version: number, owners: readonly string[]) {
    if (!Number.isInteger(version) || version < 1) throw new RangeError(`shard map version must be a whole number >= 1, got ${version}`);
    if (owners.length === 0) throw new RangeError('a shard map needs at least one bucket');
    const empty = owners.findIndex((owner) => !owner);
    if (empty !== -1) throw new RangeError(`bucket ${empty} has no shard`);
    this.version = version;
    this.#owners = Object.freeze([...owners]);
  }

  get buckets(): number {
    return this.#owners.length;
  }

  /** The owner of every bucket, indexed by bucket. */
  get owners(): readonly string[] {
    return this.#owners;
  }

  shardOf(bucket: number): string {
    const owner = this.#owners[bucket];
    if (owner === undefined) throw new RangeError(`bucket ${bucket} does not exist (0..${this.#owners.length - 1})`);
    return owner;
  }

  /** The shard databases that own at least one bucket, in name order. */
  shards(): string[] {
    return [...new Set(this.#owners)].sort(byShardName);
  }

  bucketsOf(shard: string): number[] {
    const buckets: number[] = [];
    this.#owners.forEach((owner, bucket) => owner === shard && buckets.push(bucket));
    return buckets;
  }

  /** The next version, with `bucket` owned by `to`. */
  withMove(bucket: number, to: string): ShardMap {
    this.shardOf(bucket);
    const owners = [...this.#owners];
    owners[bucket] = to;
    return new ShardMap(this.version + 1, owners);
  }

  /** Buckets whose owner differs in `next`. */
  movesTo(next: ShardMap): BucketMove[] {
    if (next.buckets !== this.buckets) throw new RangeError(`cannot compare maps of ${this.buckets} and ${next.buckets} buckets`);
    const moves: BucketMove[] = [];
    this.#owners.forEach((from, bucket) => {
      const to = next.shardOf(bucket);
      if (to !== from) moves.push({ bucket, from, to });
    });
    return moves;
  }

  /**
   * The fewest bucket moves that spread the buckets evenly over `shards` (which may add new
   * shards or leave some out): each over-full shard gives away its highest buckets to the
   * under-full ones. Going from 4 to 5 shards moves about a fifth of the buckets, and so a fifth
   * of the data, where `hash % shards` would move four fifths.
   */
  planSpread(shards: readonly string[]): BucketMove[] {
    if (shards.length === 0) throw new RangeError('planSpread needs at least one shard');
    const targets = new Map<string, number>();
    const base = Math.floor(this.buckets / shards.length);
    const extra = this.buckets % shards.length;
    // Shards that already hold the most keep the extra buckets, so fewer have to move.
    const byLoad = [...shards].sort((a, b) => this.bucketsOf(b).length - this.bucketsOf(a).length || byShardName(a, b));
    byLoad.forEach((shard, index) => targets.set(shard, base + (index < extra ? 1 : 0)));
    const spare: Array<{ bucket: number; from: string }> = [];
    const held = new Map<string, number>();
    for (const shard of new Set([...this.#owners, ...shards])) {
      const owned = this.bucketsOf(shard);
      const keep = targets.get(shard) ?? 0;
      held.set(shard, Math.min(owned.length, keep));
      for (const bucket of owned.slice(keep)) spare.push({ bucket, from: shard });
    }
    spare.sort((a, b) => a.bucket - b.bucket);
    const moves: BucketMove[] = [];
    for (const shard of shards) {
      let missing = (targets.get(shard) ?? 0) - (held.get(shard) ?? 0);
      while (missing > 0) {
        const next = spare.shift();
        if (!next) break;
        moves.push({ bucket: next.bucket, from: next.from, to: shard });
        missing -= 1;
      }
    }
    return moves.sort((a, b) => a.bucket - b.bucket);
  }

  /** `0-63, 200` style ranges of the buckets `shard` owns. */
  describe(shard: string): string {
    return compressRanges(this.bucketsOf(shard));
  }
}

export function compressRanges(values: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < values.length; i++) {
    let j = i;
    while (j + 1 < values.length && values[j + 1] === values[j] + 1) j++;
    parts.push(i === j ? `${values[i]}` : `${values[i]}-${values[j]}`);
    i = j;
  }
  return parts.join(', ');
}

/** shard_2 before shard_10. */
export function byShardName(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

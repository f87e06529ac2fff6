export interface ScatterOptions {
  /** Shards queried at the same time. */
  concurrency: number;
  /** The longest one shard may take; it then counts as failed. */
  timeoutMs: number;
}

/** What one shard answered (or why it did not). */
export type ShardOutcome<T> = { shard: string; ok: true; value: T; ms: number } | { shard: string; ok: false; error: Error; ms: number };

const TIMEOUT = Symbol.for('tenk.ShardTimeoutError');

export class ShardTimeoutError extends Error {
  readonly [TIMEOUT] = true;

  constructor(
    readonly shard: string,
    readonly timeoutMs: number,
  ) {
    super(`${shard} did not answer within ${timeoutMs} ms`);
    this.name = 'ShardTimeoutError';
  }
}

export function isShardTimeout(error: unknown): error is ShardTimeoutError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[TIMEOUT] === true;
}

/**
 * Runs `work` on every shard, at most `concurrency` at a time, each bounded by `timeoutMs`, and
 * reports every shard's outcome in the order given: one slow or dead shard costs its timeout,
 * never the whole answer, and the caller decides whether a partial answer is acceptable.
 */
export async function scatter<T>(
  shards: readonly string[],
  work: (shard: string) => Promise<T>,
  options: ScatterOptions,
): Promise<Array<ShardOutcome<T>>> {
  const outcomes = new Array<ShardOutcome<T>>(shards.length);
  let next = 0;
  const worker = async () => {
    while (next < shards.length) {
      const index = next++;
      const shard = shards[index];
      const started = performance.now();
      try {
        const value = await withTimeout(work(shard), options.timeoutMs, () => new ShardTimeoutError(shard, options.timeoutMs));
        outcomes[index] = { shard, ok: true, value, ms: performance.now() - started };
      } catch (error) {
        outcomes[index] = {
          shard,
          ok: false,
          error: error instanceof Error ? error : new Error(String(error)),
          ms: performance.now() - started,
        };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, shards.length)) }, worker));
  return outcomes;
}

function withTimeout<T>(promise: Promise<T>, ms: number, error: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(error()), ms);
  });
  // The losing promise may still settle later; nothing waits for it, so swallow its outcome.
  promise.catch(() => undefined);
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Merges lists that are each sorted by `compare` into one sorted list of at most `limit`
 * items, dropping items whose `identity` was already taken. With keyset pagination each shard
 * returns its first `limit` rows after the cursor, so the first `limit` of the merge are
 * exactly the first `limit` rows of all shards together.
 */
export function mergeSorted<T>(
  lists: ReadonlyArray<readonly T[]>,
  compare: (a: T, b: T) => number,
  limit: number,
  identity: (item: T) => string,
): T[] {
  const positions = lists.map(() => 0);
  const merged: T[] = [];
  const seen = new Set<string>();
  while (merged.length < limit) {
    let best = -1;
    for (let list = 0; list < lists.length; list++) {
      const candidate = lists[list][positions[list]];
      if (candidate === undefined) continue;
      if (best === -1 || compare(candidate, lists[best][positions[best]]) < 0) best = list;
    }
    if (best === -1) break;
    const item = lists[best][positions[best]];
    positions[best] += 1;
    const id = identity(item);
    if (seen.has(id)) continue;
    seen.add(id);
    merged.push(item);
  }
  return merged;
}

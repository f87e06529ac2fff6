import { EnvReader } from '../env-reader';

/** Where catalog reads go: the streaming replica when it is fresh enough, else the primary. */
export interface ReplicaRoutingConfig {
  /** A replica further behind the primary than this is skipped: reads go to the primary. */
  maxLagMs: number;
  /** How often each process samples the replica's replay position (and so its lag). */
  pollIntervalMs: number;
  /**
   * While a process routes no catalog reads (for 10 poll intervals, at least 1 s), its probes
   * are spaced out, doubling up to this; its next read probes at once. An idle api stays idle.
   */
  idlePollMaxMs: number;
  /**
   * How long a client's "my last write" WAL position (cookie / header) is kept. Once the
   * replica has replayed past it, it no longer matters; it only has to outlive real lag.
   */
  writeTokenTtlMs: number;
  /**
   * Keep a client's reads off the replica until it has replayed the client's last write (on by
   * default). Off (TENK_REPLICA_READ_YOUR_WRITES=off) reads go to a healthy replica whatever the
   * client just wrote, as TypeORM's own replication does: the lab turns it off to count the
   * stale reads the routing prevents. Never turn it off in production.
   */
  readYourWrites: boolean;
}

/** Orders are sharded by customer: hash(customerId) -> bucket -> shard database. */
export interface ShardingConfig {
  /**
   * Logical buckets (fixed for the life of the data: order ids carry their bucket). Buckets,
   * not shards, are what moves when shards are added.
   */
  buckets: number;
  /**
   * The first version of the shard map: `initialMap[bucket]` is the shard database owning that
   * bucket. The live, versioned map is kept in the catalog database (`npm run shards -- map`);
   * this only seeds it, so changing it later moves nothing.
   */
  initialMap: string[];
  /** How often a process re-reads the live shard map (a moved bucket is also noticed at once). */
  mapRefreshMs: number;
  /** Scatter-gather: shards queried at the same time. */
  scatterConcurrency: number;
  /** Scatter-gather and single-shard statements: the longest one shard may take. */
  shardTimeoutMs: number;
}

export interface DataRoutingConfig {
  replica: ReplicaRoutingConfig;
  sharding: ShardingConfig;
}

const MAX_BUCKETS = 4096;

/**
 * Reads the replica-routing and sharding settings. `shardDatabases` (TENK_SHARD_DATABASES) are
 * the shard databases that exist; the shard map may only name those.
 */
export function readDataRouting(env: EnvReader, shardDatabases: readonly string[]): DataRoutingConfig {
  const buckets = env.int('TENK_SHARD_BUCKETS', 256, { min: 1, max: MAX_BUCKETS });
  const pollIntervalMs = env.durationMs('TENK_REPLICA_POLL', 100);
  const maxLagMs = env.durationMs('TENK_REPLICA_MAX_LAG', 2_000);
  if (pollIntervalMs < 10) env.problem('TENK_REPLICA_POLL', String(pollIntervalMs), 'must be at least 10ms');
  const idlePollMaxMs = env.durationMs('TENK_REPLICA_IDLE_POLL', 2_000);
  if (idlePollMaxMs < pollIntervalMs)
    env.problem('TENK_REPLICA_IDLE_POLL', String(idlePollMaxMs), `must be at least TENK_REPLICA_POLL (${pollIntervalMs}ms)`);
  return {
    replica: {
      maxLagMs,
      pollIntervalMs,
      idlePollMaxMs,
      writeTokenTtlMs: env.durationMs('TENK_REPLICA_WRITE_TOKEN_TTL', 5 * 60_000),
      readYourWrites: env.bool('TENK_REPLICA_READ_YOUR_WRITES', true),
    },
    sharding: {
      buckets,
      initialMap: readInitialMap(env, buckets, shardDatabases),
      mapRefreshMs: env.durationMs('TENK_SHARD_MAP_REFRESH', 5_000),
      scatterConcurrency: env.int('TENK_SCATTER_CONCURRENCY', 4, { min: 1, max: 64 }),
      shardTimeoutMs: env.durationMs('TENK_SHARD_TIMEOUT', 3_000),
    },
  };
}

/**
 * TENK_SHARD_MAP, e.g. `shard_0:0-127,shard_1:128-255`: bucket ranges per shard database,
 * covering every bucket exactly once. Unset: the buckets are split into equal contiguous
 * ranges over TENK_SHARD_DATABASES in order.
 */
function readInitialMap(env: EnvReader, buckets: number, shardDatabases: readonly string[]): string[] {
  const evenSplit = Array.from(
    { length: buckets },
    (_, bucket) => shardDatabases[Math.floor((bucket * shardDatabases.length) / buckets)] ?? '',
  );
  const raw = env.string('TENK_SHARD_MAP', '');
  if (raw === '') return evenSplit;
  const map: Array<string | undefined> = new Array<string | undefined>(buckets).fill(undefined);
  const fail = (problem: string) => {
    env.problem('TENK_SHARD_MAP', raw, problem);
    return evenSplit;
  };
  for (const part of raw
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)) {
    const match = /^([a-z_][a-z0-9_]*):(\d+)(?:-(\d+))?$/.exec(part);
    if (!match) return fail(`"${part}" is not database:first-last (e.g. shard_0:0-63)`);
    const [, database, first, last] = match;
    if (!shardDatabases.includes(database)) return fail(`"${database}" is not in TENK_SHARD_DATABASES (${shardDatabases.join(', ')})`);
    const from = Number(first);
    const to = last === undefined ? from : Number(last);
    if (from > to || to >= buckets) return fail(`range ${from}-${to} is outside buckets 0-${buckets - 1} (TENK_SHARD_BUCKETS=${buckets})`);
    for (let bucket = from; bucket <= to; bucket++) {
      if (map[bucket] !== undefined) return fail(`bucket ${bucket} is given to both ${map[bucket]} and ${database}`);
      map[bucket] = database;
    }
  }
  const missing = map.findIndex((database) => database === undefined);
  if (missing !== -1) return fail(`bucket ${missing} belongs to no shard; every bucket 0-${buckets - 1} needs one`);
  return map as string[];
}

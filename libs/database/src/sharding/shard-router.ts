import { Inject, Injectable, OnModuleDestroy, OnModuleInit, Optional } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import type { Counter, Histogram } from 'prom-client';
import type { DataSource, EntityManager } from 'typeorm';
import { InjectConfig, type TenkConfig } from '@tenk/config';
import { MetricsService } from '@tenk/observability';
import { CatalogDatabase } from '../catalog-database';
import { ShardDatabases } from '../shard-databases';
import { sqlState } from '../sql-state';
import { bucketOfCustomer } from './buckets';
import { checkBucketForRead, isBucketNotOwned, LOCK_NOT_AVAILABLE, lockBucketForWrite, ownedBuckets } from './bucket-fence';
import { bucketOfOrderId } from './order-id';
import { scatter, type ScatterOptions, type ShardOutcome } from './scatter-gather';
import { ShardMap } from './shard-map';
import { loadShardMap } from './shard-map.store';

/** What a call to a shard is for: the label on its metrics, and what a breaker may key on. */
export type ShardOperation = 'read' | 'write' | 'scatter';

export interface ShardCall {
  shard: string;
  operation: ShardOperation;
  /** The bucket worked on (scatter-gather calls have none). */
  bucket?: number;
}

/**
 * Wraps every call to a shard database. The default runs it as is; the circuit-breaker issue
 * plugs in one breaker per shard here (`ShardRouter.useCallPolicy()` or the SHARD_CALL_POLICY
 * provider), so a dead shard fails fast without touching the others.
 */
export interface ShardCallPolicy {
  execute<T>(call: ShardCall, work: () => Promise<T>): Promise<T>;
}

export const SHARD_CALL_POLICY = Symbol.for('tenk.ShardCallPolicy');

const DIRECT: ShardCallPolicy = { execute: (_call, work) => work() };

const UNAVAILABLE = Symbol.for('tenk.BucketUnavailableError');

/** A bucket stayed unreachable through a move for longer than a request should wait. */
export class BucketUnavailableError extends Error {
  readonly [UNAVAILABLE] = true;
  readonly retryAfterSeconds = 1;

  constructor(
    readonly bucket: number,
    detail: string,
  ) {
    super(`bucket ${bucket} is being moved between shards (${detail}); retry in a second`);
    this.name = 'BucketUnavailableError';
  }
}

export function isBucketUnavailable(error: unknown): error is BucketUnavailableError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[UNAVAILABLE] === true;
}

/** What every shard said in a scatter-gather, plus the buckets it served in that snapshot. */
export interface ScatterResult<T> {
  outcomes: Array<ShardOutcome<T>>;
  /** Shards that failed or timed out: an answer without them is partial. */
  failed: Array<{ shard: string; error: Error }>;
}

/** Writers wait at most this long for a bucket a move is holding. */
const LOCK_TIMEOUT_MS = 2_000;
/** A request keeps retrying a moving bucket (re-reading the map) for at most this long. */
const MOVE_WAIT_MS = 5_000;
/** Scatter-gather retries when its per-shard snapshots disagree on who owns a bucket. */
const SCATTER_ATTEMPTS = 4;

/**
 * Routes order data to shards: customer -> bucket (hash) -> shard database (the versioned
 * shard map). Every statement on a bucket runs in a transaction on its shard that first checks
 * the shard still owns the bucket (see bucket-fence.ts); a refusal re-reads the map and
 * retries, so a bucket can move while requests are in flight.
 */
@Injectable()
export class ShardRouter implements OnModuleInit, OnModuleDestroy {
  #map: ShardMap;
  #policy: ShardCallPolicy;
  #refreshing: Promise<ShardMap> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #buckets: number;
  readonly #refreshMs: number;
  readonly #scatter: ScatterOptions;
  readonly #calls: Counter<'shard' | 'operation' | 'outcome'>;
  readonly #seconds: Histogram<'shard' | 'operation'>;
  readonly #retries: Counter<'reason'>;

  constructor(
    private readonly shards: ShardDatabases,
    private readonly catalog: CatalogDatabase,
    @InjectConfig() config: TenkConfig,
    metrics: MetricsService,
    private readonly logger: PinoLogger,
    @Optional() @Inject(SHARD_CALL_POLICY) policy?: ShardCallPolicy,
  ) {
    this.logger.setContext('shard-router');
    const sharding = config.dataRouting.sharding;
    this.#buckets = sharding.buckets;
    this.#refreshMs = sharding.mapRefreshMs;
    this.#scatter = { concurrency: sharding.scatterConcurrency, timeoutMs: sharding.shardTimeoutMs };
    this.#map = new ShardMap(1, sharding.initialMap);
    this.#policy = policy ?? DIRECT;
    this.#calls = metrics.counter('tenk_shard_calls_total', 'Calls to order shard databases by shard, operation and outcome', [
      'shard',
      'operation',
      'outcome',
    ]);
    this.#seconds = metrics.histogram(
      'tenk_shard_call_seconds',
      'Duration of calls to order shard databases',
      ['shard', 'operation'],
      [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 3],
    );
    this.#retries = metrics.counter(
      'tenk_shard_bucket_retries_total',
      'Bucket calls retried because a shard refused the bucket (moved) or a move held it (busy)',
      ['reason'],
    );
    const currentVersion = () => this.#map.version;
    metrics.gauge('tenk_shard_map_version', 'Version of the shard map this process routes with', [], function collect() {
      this.set(currentVersion());
    });
    // Every shard of the map, called or not yet (the live map draws them all).
    const currentMap = () => this.#map;
    metrics.gauge('tenk_shard_buckets', 'Buckets each shard owns in the shard map this process routes with', ['shard'], function collect() {
      const map = currentMap();
      this.reset();
      for (const shard of map.shards()) this.set({ shard }, map.bucketsOf(shard).length);
    });
  }

  /** The shard map this process routes with now. */
  get map(): ShardMap {
    return this.#map;
  }

  /** Replaces the call policy (e.g. per-shard circuit breakers). */
  useCallPolicy(policy: ShardCallPolicy): void {
    this.#policy = policy;
  }

  bucketOfCustomer(customerId: string): number {
    return bucketOfCustomer(customerId, this.#buckets);
  }

  /** Where a customer's orders live. */
  forCustomer(customerId: string): ShardScope {
    this.#watchMap();
    return new ShardScope(this, this.bucketOfCustomer(customerId));
  }

  /** Where an order lives, from its id alone; undefined when `orderId` is not an order id. */
  forOrder(orderId: string): ShardScope | undefined {
    this.#watchMap();
    const bucket = bucketOfOrderId(orderId);
    return bucket === undefined || bucket >= this.#buckets ? undefined : new ShardScope(this, bucket);
  }

  forBucket(bucket: number): ShardScope {
    this.#watchMap();
    this.#map.shardOf(bucket);
    return new ShardScope(this, bucket);
  }

  /**
   * Scatter-gather: runs `work` on every shard of the map (bounded concurrency, per-shard
   * timeout), each in a read-only REPEATABLE READ transaction that also reads the buckets the
   * shard owns in the same snapshot (`owned`: filter rows by it). If the shards' snapshots
   * disagree on who owns a bucket (a move flipped between them), it runs again, so a bucket is
   * never counted twice or missed.
   */
  async all<T>(
    work: (manager: EntityManager, context: { shard: string; owned: readonly number[] }) => Promise<T>,
  ): Promise<ScatterResult<T>> {
    this.#watchMap();
    for (let attempt = 1; ; attempt++) {
      const shards = this.#map.shards();
      const outcomes = await scatter(
        shards,
        (shard) =>
          this.onShard({ shard, operation: 'scatter' }, (source) =>
            source.transaction('REPEATABLE READ', async (manager) => {
              await this.#begin(manager, true);
              const owned = await ownedBuckets(manager);
              return { owned, value: await work(manager, { shard, owned }) };
            }),
          ),
        this.#scatter,
      );
      const failed = outcomes.flatMap((outcome) => (outcome.ok ? [] : [{ shard: outcome.shard, error: outcome.error }]));
      const conflict = failed.length === 0 ? ownershipConflict(this.#buckets, outcomes) : undefined;
      if (conflict === undefined) {
        return {
          outcomes: outcomes.map((outcome) => (outcome.ok ? { ...outcome, value: outcome.value.value } : outcome)),
          failed,
        };
      }
      this.#retries.inc({ reason: 'scatter-moving' });
      if (attempt >= SCATTER_ATTEMPTS) throw new BucketUnavailableError(conflict, 'shards disagreed on its owner in every try');
      await this.refreshMap();
      await sleep(25 * 2 ** attempt);
    }
  }

  /** Re-reads the live map from the catalog database (calls in flight share one read). */
  refreshMap(): Promise<ShardMap> {
    this.#refreshing ??= this.#loadMap().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  /**
   * The one door to a shard: every statement any code sends to a shard passes here, through
   * the call policy, with its duration and outcome recorded.
   */
  async onShard<T>(call: ShardCall, work: (source: DataSource) => Promise<T>): Promise<T> {
    const stop = this.#seconds.startTimer({ shard: call.shard, operation: call.operation });
    try {
      const result = await this.#policy.execute(call, async () => work(await this.shards.byName(call.shard).get()));
      this.#calls.inc({ shard: call.shard, operation: call.operation, outcome: 'ok' });
      return result;
    } catch (error) {
      this.#calls.inc({ shard: call.shard, operation: call.operation, outcome: isBucketNotOwned(error) ? 'moved' : 'error' });
      throw error;
    } finally {
      stop();
    }
  }

  /** Runs `work` in a transaction on the shard that owns `bucket`, following moves. */
  async inBucket<T>(bucket: number, mode: 'read' | 'write', work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const deadline = Date.now() + MOVE_WAIT_MS;
    let delay = 25;
    for (;;) {
      const shard = this.#map.shardOf(bucket);
      try {
        return await this.onShard({ shard, operation: mode, bucket }, (source) =>
          mode === 'write'
            ? source.transaction(async (manager) => {
                await this.#begin(manager, false);
                await lockBucketForWrite(manager, shard, bucket);
                return work(manager);
              })
            : source.transaction('REPEATABLE READ', async (manager) => {
                await this.#begin(manager, true);
                await checkBucketForRead(manager, shard, bucket);
                return work(manager);
              }),
        );
      } catch (error) {
        const moved = isBucketNotOwned(error);
        if (!moved && sqlState(error) !== LOCK_NOT_AVAILABLE) throw error;
        this.#retries.inc({ reason: moved ? 'moved' : 'busy' });
        const map = await this.refreshMap();
        if (map.shardOf(bucket) !== shard) continue;
        if (Date.now() + delay > deadline) throw new BucketUnavailableError(bucket, (error as Error).message);
        await sleep(delay);
        delay = Math.min(delay * 2, 400);
      }
    }
  }

  async onModuleInit(): Promise<void> {
    try {
      await this.refreshMap();
    } catch (error) {
      // The map table comes with `npm run migrate`; until then the configured map is used.
      this.logger.warn({ err: error }, 'could not read the shard map from the catalog database; routing with the configured initial map');
    }
  }

  onModuleDestroy(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Re-reads the map every few seconds from the first routed call on (idle processes never poll). */
  #watchMap(): void {
    if (this.#timer === undefined && !this.#closed) this.#schedule();
  }

  #schedule(): void {
    this.#timer = setTimeout(() => {
      this.refreshMap()
        .catch((error: unknown) => this.logger.warn({ err: error }, 'shard map refresh failed; keeping the current map'))
        .finally(() => !this.#closed && this.#schedule());
    }, this.#refreshMs);
    this.#timer.unref();
  }

  async #loadMap(): Promise<ShardMap> {
    await this.catalog.ready();
    const loaded = await loadShardMap(this.catalog.primary);
    if (!loaded || loaded.version <= this.#map.version) return this.#map;
    const unknown = loaded.shards().filter((shard) => !this.shards.names().includes(shard));
    if (unknown.length > 0) {
      this.logger.error(
        { version: loaded.version, unknown },
        `shard map version ${loaded.version} names shard databases this process has no connection for; add them to TENK_SHARD_DATABASES`,
      );
      return this.#map;
    }
    if (loaded.buckets !== this.#buckets) {
      this.logger.error(
        { version: loaded.version, buckets: loaded.buckets, configured: this.#buckets },
        'the stored shard map has another bucket count than TENK_SHARD_BUCKETS; keeping the current map',
      );
      return this.#map;
    }
    const moved = this.#map.movesTo(loaded);
    this.logger.info({ from: this.#map.version, to: loaded.version, moved: moved.length }, `shard map version ${loaded.version} in use`);
    this.#map = loaded;
    return loaded;
  }

  /** Per-transaction limits: no statement outlives the shard timeout, no lock wait outlives a move. */
  async #begin(manager: EntityManager, readOnly: boolean): Promise<void> {
    if (readOnly) await manager.query('SET TRANSACTION READ ONLY');
    await manager.query(`SELECT set_config('statement_timeout', $1, true), set_config('lock_timeout', $2, true)`, [
      `${this.#scatter.timeoutMs}ms`,
      `${LOCK_TIMEOUT_MS}ms`,
    ]);
  }
}

/** One bucket's home: where a customer's (or an order's) rows are read and written. */
export class ShardScope {
  constructor(
    readonly router: ShardRouter,
    readonly bucket: number,
  ) {}

  /** The shard the current map sends this bucket to. */
  get shard(): string {
    return this.router.map.shardOf(this.bucket);
  }

  /** A read-only snapshot of the bucket's rows (REPEATABLE READ). */
  read<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.router.inBucket(this.bucket, 'read', work);
  }

  /** A read-write transaction; a move of the bucket waits for it, and it for the move. */
  write<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.router.inBucket(this.bucket, 'write', work);
  }
}

/** A bucket owned by no shard or by two in these snapshots, if any. */
function ownershipConflict(buckets: number, outcomes: ReadonlyArray<ShardOutcome<{ owned: readonly number[] }>>): number | undefined {
  const owners = new Uint16Array(buckets);
  for (const outcome of outcomes) if (outcome.ok) for (const bucket of outcome.value.owned) if (bucket < buckets) owners[bucket] += 1;
  const index = owners.findIndex((count) => count !== 1);
  return index === -1 ? undefined : index;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

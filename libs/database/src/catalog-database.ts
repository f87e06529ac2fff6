import { Inject, Injectable, OnModuleDestroy, OnModuleInit, Optional } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import type { Counter } from 'prom-client';
import type { DataSource, EntityManager } from 'typeorm';
import { InjectConfig, type TenkConfig } from '@tenk/config';
import { annotateActiveSpan, HealthRegistry, MetricsService } from '@tenk/observability';
import { SwitchesService } from '@tenk/switches';
import { createCatalogDataSource } from './data-source.factory';
import { DATABASE_OPTIONS, type DatabaseOptions } from './database.module-definition';
import { LazyDataSource } from './lazy-data-source';
import { isConnectionFailure } from './replica/connection-failure';
import { chooseReadTarget, type ReadDecision, type ReadReason, type ReadTarget } from './replica/read-routing';
import { ReadYourWrites } from './replica/read-your-writes';
import { ReplicaMonitor } from './replica/replica-monitor';
import type { ReplicaState } from './replica/replica-state';
import { formatLsn, parseLsn, type Lsn } from './replica/wal-lsn';

/**
 * The catalog database: the primary (connected at boot; this process cannot serve without it)
 * and its streaming replica (connected lazily; reads fall back to the primary without it).
 *
 * Reads go through `read()`, which sends them to the replica only when that cannot show the
 * client stale data (see chooseReadTarget); writes go through `write()`, a transaction on the
 * primary that records the commit's WAL position for the client's next reads. Code that needs
 * the primary for a read on purpose (a price it is about to charge) uses `primary` directly.
 */
@Injectable()
export class CatalogDatabase implements OnModuleInit, OnModuleDestroy {
  readonly primary: DataSource;
  readonly replica: LazyDataSource;
  readonly #monitor: ReplicaMonitor;
  readonly #maxLagMs: number;
  readonly #staleAfterMs: number;
  readonly #readYourWrites: boolean;
  readonly #reads: Counter<'target' | 'reason'>;
  #connecting: Promise<void> | undefined;
  #closed = false;

  constructor(
    @InjectConfig() config: TenkConfig,
    @Inject(DATABASE_OPTIONS) options: DatabaseOptions,
    private readonly health: HealthRegistry,
    metrics: MetricsService,
    private readonly logger: PinoLogger,
    @Optional() private readonly switches?: SwitchesService,
  ) {
    this.logger.setContext('catalog-database');
    this.primary = createCatalogDataSource(config, 'primary', options.catalogEntities, options.processName);
    this.replica = new LazyDataSource(
      'catalog-replica',
      createCatalogDataSource(config, 'replica', options.catalogEntities, options.processName),
    );
    const routing = config.dataRouting.replica;
    this.#maxLagMs = routing.maxLagMs;
    this.#readYourWrites = routing.readYourWrites;
    // A probe may be late by one interval plus its own connect timeout before it is distrusted.
    this.#staleAfterMs = Math.max(1_000, routing.pollIntervalMs * 5);
    this.#reads = metrics.counter('tenk_catalog_reads_total', 'Catalog reads by the database that served them and why it was chosen', [
      'target',
      'reason',
    ]);
    const up = metrics.gauge('tenk_replica_up', '1 when the catalog replica answered its last probe as a standby, else 0');
    const lagSeconds = metrics.gauge(
      'tenk_replica_lag_seconds',
      'How long ago the primary wrote the oldest WAL the replica has not replayed (0 = caught up)',
    );
    const lagBytes = metrics.gauge('tenk_replica_lag_bytes', 'WAL bytes the replica is behind the primary position sampled with it');
    this.#monitor = new ReplicaMonitor(this.primary, this.replica, {
      pollIntervalMs: routing.pollIntervalMs,
      idlePollMaxMs: routing.idlePollMaxMs,
      onProbe: (state) => {
        up.set(state.up ? 1 : 0);
        if (state.lagMs !== undefined) lagSeconds.set(state.lagMs / 1000);
        if (state.lagBytes !== undefined) lagBytes.set(Number(state.lagBytes));
      },
      onChange: (state) => {
        if (state.up) this.logger.info({ lagMs: state.lagMs }, 'catalog replica is back: reads may use it again');
        else this.logger.warn({ error: state.error }, 'catalog replica unavailable: every catalog read goes to the primary');
      },
    });
  }

  /** What the last replica probe found (up, replay position, lag). */
  get replicaState(): ReplicaState {
    return this.#monitor.state;
  }

  /** Where a read issued now, by the current request's client, would go, and why. */
  route(): ReadDecision {
    // Probing starts with the first routed read: processes that never read the catalog through
    // the router (workers) never poll the replica; one that stops reading polls less and less.
    if (!this.#closed) this.#monitor.use();
    return chooseReadTarget({
      replicaReads: this.switches?.isOn('replicaReads') ?? true,
      replica: this.#monitor.state,
      clientLsn: ReadYourWrites.current()?.minLsn,
      readYourWrites: this.#readYourWrites,
      maxLagMs: this.#maxLagMs,
      staleAfterMs: this.#staleAfterMs,
      now: Date.now(),
    });
  }

  /**
   * Runs a read on the replica when it is fresh enough for this client, else on the primary.
   * If the replica fails the read itself (connection lost, query cancelled by replay), it is
   * run again on the primary: a dead replica costs a retry, never an error.
   */
  async read<T>(work: (source: DataSource) => Promise<T>): Promise<T> {
    const decision = this.route();
    if (decision.target === 'replica') {
      try {
        const replica = await this.replica.get();
        const result = await work(replica);
        this.#count('replica', decision.reason);
        return result;
      } catch (error) {
        if (!isConnectionFailure(error)) throw error;
        this.logger.warn({ err: error }, 'catalog read failed on the replica; retrying it on the primary');
        void this.#monitor.probe();
        const result = await work(this.primary);
        this.#count('primary', 'replica-failed');
        return result;
      }
    }
    const result = await work(this.primary);
    this.#count('primary', decision.reason);
    return result;
  }

  /**
   * Runs `work` in a transaction on the primary. After the commit, the client's reads stay on
   * the primary until the replica has replayed this write (the WAL position is recorded in
   * the request's ConsistencyScope, which hands it back to the client as a cookie).
   */
  async write<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const result = await this.primary.transaction(work);
    await this.recordWrite();
    return result;
  }

  /**
   * Records the primary's current WAL position as this client's last write. `write()` calls it;
   * call it yourself after a write made another way. Returns the position.
   */
  async recordWrite(): Promise<Lsn | undefined> {
    const [row] = (await this.primary.query('SELECT pg_current_wal_lsn()::text AS lsn')) as Array<{ lsn: string }>;
    const lsn = parseLsn(row?.lsn);
    if (lsn !== undefined) ReadYourWrites.current()?.recordWrite(lsn);
    return lsn;
  }

  /** Probes the replica now instead of waiting for the next scheduled probe. */
  probeReplica(): Promise<ReplicaState> {
    return this.#monitor.probe();
  }

  /** Resolves once the primary is connected (boot connects it; other providers may wait on it). */
  ready(): Promise<void> {
    this.#connecting ??= this.primary.initialize().then(() => undefined);
    return this.#connecting;
  }

  async onModuleInit(): Promise<void> {
    await this.ready();
    this.health.register({
      name: 'postgres-primary',
      critical: true,
      check: async () => {
        await this.primary.query('SELECT 1');
      },
    });
    this.health.register({
      name: 'postgres-replica',
      critical: false,
      check: async () => {
        const state = await this.#monitor.probe();
        if (!state.up) throw new Error(`${state.error ?? 'replica unavailable'}; catalog reads are served by the primary`);
        const details = { replayLsn: state.replayLsn === undefined ? null : formatLsn(state.replayLsn), lagMs: state.lagMs ?? null };
        if ((state.lagMs ?? 0) > this.#maxLagMs)
          return { degraded: true, details: { ...details, message: `lagging more than ${this.#maxLagMs} ms: reads go to the primary` } };
        return { details };
      },
    });
  }

  async onModuleDestroy(): Promise<void> {
    this.#closed = true;
    await this.#monitor.stop();
    await Promise.all([this.primary.isInitialized ? this.primary.destroy() : undefined, this.replica.close()]);
  }

  #count(target: ReadTarget, reason: ReadReason): void {
    this.#reads.inc({ target, reason });
    annotateActiveSpan({ 'tenk.db.read_target': target, 'tenk.db.read_reason': reason });
  }
}

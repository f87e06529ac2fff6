import { readdirSync, readFileSync } from 'node:fs';
import type { TenkConfig } from '@tenk/config';
import type { Experiment, LabContext, LabResult } from '../experiment';
import {
  CookieClient,
  createLabAdmin,
  createLabCatalog,
  pgClient,
  productSelects,
  runReadLoad,
  scrape,
  startCacheLabShop,
  statusCounts,
  sum,
  type LabCatalog,
  type ReadSample,
} from './cache-lab-shop';
import { percentile } from './open-loop';
import { catalogWorkload, seededRandom } from './cache-workload';
import { interleaved, quote, roundsFor, summarize, type Row } from '../repeats';

interface Settings {
  rate: number;
  warmupS: number;
  seconds: number;
  products: number;
  tries: number;
}

interface Run {
  requests: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  primaryQueries: number;
  replicaQueries: number;
  /** CPU seconds the primary's and the replica's PostgreSQL processes used during the run. */
  primaryCpuS: number;
  replicaCpuS: number;
  statuses: string;
}

/** Writes followed at once by reads through the api, the client carrying its cookies. */
interface ApiFreshness {
  stale: number;
  /** Of the reads, served by the replica and by the primary. */
  onReplica: number;
  onPrimary: number;
  /** Of those on the primary, sent there because the replica had not replayed the client's write yet. */
  forTheWrite: number;
  /** Replica lag after single writes, as the api measured it (ms). */
  lagP50Ms: number;
  lagMaxMs: number;
}

/** How reads right after a write are made: the three rows of the read-your-writes measurement. */
const FRESHNESS_VARIANTS = ['replica directly', 'api without routing', 'api with routing'] as const;
type FreshnessVariant = (typeof FRESHNESS_VARIANTS)[number];

/**
 * `npm run lab -- replica`: the same catalog read load (product views and listings, cache
 * off so every read reaches PostgreSQL) through the lab shop's balancer, with the
 * `replicaReads` switch off (every read on the primary) and on (reads on the streaming
 * replica), interleaved over `--rounds` rounds: queries and CPU on each server. Then
 * read-your-writes, also interleaved: writes followed at once by reads through the api with
 * its read-your-writes routing off (TENK_REPLICA_READ_YOUR_WRITES=off: stale) and on (never),
 * and, for reference, straight from the replica with raw SQL.
 */
export const replicaExperiment: Experiment = {
  name: 'replica',
  summary:
    'catalog reads with replicaReads off vs on: queries and CPU moved off the primary; stale reads after writes through the api, routing off vs on',
  async run(context: LabContext): Promise<LabResult> {
    const settings: Settings = {
      rate: context.option('rate', context.quick ? 50 : 150),
      warmupS: context.seconds(10, 2),
      seconds: context.seconds(30, 4),
      products: context.option('products', 5_000),
      tries: context.option('tries', context.quick ? 40 : 200),
    };
    context.log(
      `${settings.rate} req/s of catalog reads (cache off), ${settings.warmupS} s warm-up + ${settings.seconds} s measured, per run`,
    );
    const catalog = await createLabCatalog(context, settings.products);
    try {
      const rounds = roundsFor(context);
      const load = await interleaved(
        rounds,
        ['replicaReads off', 'replicaReads on'] as const,
        (variant) => measure(context, catalog, variant === 'replicaReads on', settings),
        context.log,
      );
      const admin = await createLabAdmin(context.config, catalog);
      const freshness = await interleaved(
        rounds,
        FRESHNESS_VARIANTS,
        (variant): Promise<number | ApiFreshness> =>
          variant === 'replica directly'
            ? staleReadingTheReplica(context, catalog, settings)
            : readYourWritesThroughTheApi(context, catalog, settings, admin, variant === 'api with routing'),
        context.log,
      );
      return report(settings, load['replicaReads off'], load['replicaReads on'], freshness as FreshnessRuns);
    } finally {
      await catalog.drop();
    }
  },
};

async function measure(context: LabContext, catalog: LabCatalog, replicaReads: boolean, settings: Settings): Promise<Run> {
  const label = `replicaReads ${replicaReads ? 'on' : 'off'}`;
  const shop = await startCacheLabShop(context, catalog, {
    TENK_SWITCH_CACHE: 'off',
    TENK_SWITCH_REPLICA_READS: replicaReads ? 'on' : 'off',
  });
  try {
    const workload = catalogWorkload({ products: settings.products, exponent: 1, seed: 2026 });
    const random = seededRandom(2028);
    const load = (seconds: number) =>
      runReadLoad({
        origin: shop.origin,
        clients: 60,
        ratePerSecond: settings.rate,
        durationMs: seconds * 1000,
        next: () => (random() < 0.3 ? workload.listing() : workload.productView()),
      });
    context.log(`${label}: warming up`);
    await load(settings.warmupS);
    const clusters = await Promise.all([postgresCluster(context.config, 'primary'), postgresCluster(context.config, 'replica')]);
    const queriesBefore = await productSelects(context.config, catalog.database);
    const cpuBefore = clusters.map(clusterCpuSeconds);
    context.log(`${label}: measuring for ${settings.seconds} s`);
    const samples: ReadSample[] = await load(settings.seconds);
    const cpuAfter = clusters.map(clusterCpuSeconds);
    const queriesAfter = await productSelects(context.config, catalog.database);
    const latencies = samples.filter((sample) => sample.status > 0).map((sample) => sample.latencyMs);
    const run: Run = {
      requests: samples.length,
      p50Ms: Number(percentile(latencies, 50).toFixed(2)),
      p99Ms: Number(percentile(latencies, 99).toFixed(2)),
      errors: samples.filter((sample) => sample.status !== 200).length,
      primaryQueries: queriesAfter.primary - queriesBefore.primary,
      replicaQueries: queriesAfter.replica - queriesBefore.replica,
      primaryCpuS: Number((cpuAfter[0] - cpuBefore[0]).toFixed(2)),
      replicaCpuS: Number((cpuAfter[1] - cpuBefore[1]).toFixed(2)),
      statuses: statusCounts(samples),
    };
    context.log(
      `${label}: ${run.requests} requests (${run.statuses}); product queries primary ${run.primaryQueries}, replica ${run.replicaQueries}; CPU primary ${run.primaryCpuS} s, replica ${run.replicaCpuS} s`,
    );
    return run;
  } finally {
    await shop.stop();
  }
}

/** The PostgreSQL server behind an endpoint: its postmaster's process id (Linux /proc). */
async function postgresCluster(config: TenkConfig, role: 'primary' | 'replica'): Promise<number> {
  const client = pgClient(config, role, config.postgres.catalogDatabase);
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    return Number(procStat(rows[0].pid)[1]);
  } finally {
    await client.end();
  }
}

/**
 * CPU seconds used by a PostgreSQL server: the postmaster (with the children it has reaped)
 * plus every live child (backends, WAL sender or receiver and replay, background workers).
 */
function clusterCpuSeconds(postmaster: number): number {
  const ticks = 100;
  const own = procStat(postmaster);
  let total = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const fields = procStat(Number(entry));
      if (Number(fields[1]) === postmaster) total += Number(fields[11]) + Number(fields[12]);
    } catch {
      // The process ended between listing and reading.
      continue;
    }
  }
  return total / ticks;
}

/** /proc/<pid>/stat after the command name: [state, ppid, ..., utime at 11, stime 12, cutime 13, cstime 14]. */
function procStat(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

type FreshnessRuns = { 'replica directly': number[] } & Record<Exclude<FreshnessVariant, 'replica directly'>, ApiFreshness[]>;

/**
 * Raw SQL, no api: a write on the primary then a read straight from the replica, as TypeORM's
 * own replication would route it. A reference only: the api's own numbers are the ones below.
 */
async function staleReadingTheReplica(context: LabContext, catalog: LabCatalog, settings: Settings): Promise<number> {
  const primary = pgClient(context.config, 'primary', catalog.database);
  const replica = pgClient(context.config, 'replica', catalog.database);
  await Promise.all([primary.connect(), replica.connect()]);
  let stale = 0;
  try {
    for (let i = 1; i <= settings.tries; i++) {
      await primary.query('UPDATE products SET price_cents = $1 WHERE id = 2', [10_000 + i]);
      const { rows } = await replica.query<{ price_cents: number }>('SELECT price_cents FROM products WHERE id = 2');
      if (rows[0].price_cents !== 10_000 + i) stale += 1;
    }
  } finally {
    await Promise.all([primary.end(), replica.end()]);
  }
  context.log(`raw SQL, a read from the replica right after a write on the primary: ${stale} of ${settings.tries} stale`);
  return stale;
}

/**
 * Through the api, replica reads on: an admin PATCH /products/3 then GET /products/3 at once,
 * with the cookies it was given (session, tenk_lsn), `tries` times. With routing, the api sends
 * the read to the replica only once it has replayed past the write; without
 * (TENK_REPLICA_READ_YOUR_WRITES=off), to the replica whenever it is healthy.
 */
async function readYourWritesThroughTheApi(
  context: LabContext,
  catalog: LabCatalog,
  settings: Settings,
  account: { email: string; password: string },
  routing: boolean,
): Promise<ApiFreshness> {
  const label = `through the api, read-your-writes routing ${routing ? 'on' : 'off'}`;
  const shop = await startCacheLabShop(context, catalog, {
    TENK_SWITCH_CACHE: 'off',
    TENK_SWITCH_REPLICA_READS: 'on',
    TENK_REPLICA_READ_YOUR_WRITES: routing ? 'on' : 'off',
  });
  try {
    const admin = new CookieClient(shop.origin);
    const login = await admin.send('POST', '/auth/login', account);
    if (login.status !== 200) throw new Error(`lab admin sign-in answered ${login.status}`);
    const readsBefore = await scrape(shop.apis, 'tenk_catalog_reads_total');
    const lags: number[] = [];
    let stale = 0;
    const base = routing ? 20_000 : 30_000;
    for (let i = 1; i <= settings.tries; i++) {
      const price = base + i;
      const written = await admin.send('PATCH', '/products/3', { priceCents: price });
      if (written.status !== 200) throw new Error(`PATCH /products/3 answered ${written.status}`);
      const read = await admin.send('GET', '/products/3');
      if ((read.body as { priceCents: number }).priceCents !== price) stale += 1;
      if (i % 20 === 0) lags.push(...(await scrape(shop.apis, 'tenk_replica_lag_seconds')).map((sample) => sample.value * 1000));
    }
    const readsAfter = await scrape(shop.apis, 'tenk_catalog_reads_total');
    const delta = (where: (labels: Record<string, string>) => boolean) => sum(readsAfter, where) - sum(readsBefore, where);
    const freshness: ApiFreshness = {
      stale,
      onReplica: delta((labels) => labels['target'] === 'replica'),
      onPrimary: delta((labels) => labels['target'] === 'primary'),
      forTheWrite: delta((labels) => labels['reason'] === 'read-your-writes'),
      lagP50Ms: Number(percentile(lags, 50).toFixed(1)),
      lagMaxMs: Number(Math.max(0, ...lags).toFixed(1)),
    };
    context.log(
      `${label}: ${stale} of ${settings.tries} stale; catalog reads on the replica ${freshness.onReplica}, on the primary ${freshness.onPrimary}`,
    );
    return freshness;
  } finally {
    await shop.stop();
  }
}

function report(settings: Settings, offRuns: Run[], onRuns: Run[], fresh: FreshnessRuns): LabResult {
  const share = (run: Run) => run.replicaQueries / Math.max(1, run.primaryQueries + run.replicaQueries);
  const row = (run: Run): Row => ({
    requests: run.requests,
    p50_ms: run.p50Ms,
    p99_ms: run.p99Ms,
    errors: run.errors,
    product_queries_on_primary: run.primaryQueries,
    product_queries_on_replica: run.replicaQueries,
    primary_queries_per_second: Number((run.primaryQueries / settings.seconds).toFixed(1)),
    share_on_replica_percent: Number((share(run) * 100).toFixed(1)),
    primary_cpu_seconds: run.primaryCpuS,
    replica_cpu_seconds: run.replicaCpuS,
  });
  const off = summarize(offRuns.map(row));
  const on = summarize(onRuns.map(row));
  const freshRow = summarize(
    fresh['api with routing'].map((routed, index): Row => {
      const unrouted = fresh['api without routing'][index];
      return {
        tries: settings.tries,
        stale_through_the_api_without_routing: unrouted.stale,
        stale_through_the_api: routed.stale,
        stale_reading_the_replica_directly: fresh['replica directly'][index],
        api_without_routing_reads_on_replica: unrouted.onReplica,
        api_reads_on_replica: routed.onReplica,
        api_reads_on_primary: routed.onPrimary,
        api_reads_on_primary_for_read_your_writes: routed.forTheWrite,
        replica_lag_p50_ms: routed.lagP50Ms,
        replica_lag_max_ms: Math.max(routed.lagMaxMs, unrouted.lagMaxMs),
      };
    }),
  );
  const num = (value: number | string | undefined) => Number(value ?? 0);
  const rounds = onRuns.length;
  return {
    headline:
      `reads right after a write, through the api: ${quote(freshRow, 'stale_through_the_api_without_routing')} of ${settings.tries} stale with read-your-writes routing off, ${quote(freshRow, 'stale_through_the_api')} with it on; ` +
      `with replicaReads on, ${quote(on, 'share_on_replica_percent', '%')} of catalog queries ran on the replica (primary ${quote(off, 'primary_queries_per_second')} -> ${quote(on, 'primary_queries_per_second')} queries/s); median of ${rounds} round${rounds === 1 ? '' : 's'}`,
    measurements: {
      'replicaReads off': off,
      'replicaReads on': on,
      'read your writes': freshRow,
    },
    charts: [
      {
        title: `Catalog queries per second by server (${settings.rate} req/s of reads, cache off)`,
        unit: 'q/s',
        bars: [
          { label: 'off: primary', value: Number((num(off.product_queries_on_primary) / settings.seconds).toFixed(1)), series: 'primary' },
          { label: 'off: replica', value: Number((num(off.product_queries_on_replica) / settings.seconds).toFixed(1)), series: 'replica' },
          { label: 'on: primary', value: Number((num(on.product_queries_on_primary) / settings.seconds).toFixed(1)), series: 'primary' },
          { label: 'on: replica', value: Number((num(on.product_queries_on_replica) / settings.seconds).toFixed(1)), series: 'replica' },
        ],
      },
      {
        title: `CPU used by each PostgreSQL server during the ${settings.seconds} s run`,
        unit: 's',
        bars: [
          { label: 'off: primary', value: num(off.primary_cpu_seconds), series: 'primary' },
          { label: 'off: replica', value: num(off.replica_cpu_seconds), series: 'replica' },
          { label: 'on: primary', value: num(on.primary_cpu_seconds), series: 'primary' },
          { label: 'on: replica', value: num(on.replica_cpu_seconds), series: 'replica' },
        ],
      },
      {
        title: `Stale reads right after a write (of ${settings.tries}, median of ${rounds})`,
        unit: 'stale',
        lowerIsBetter: true,
        bars: [
          { label: 'api, routing off', value: num(freshRow.stale_through_the_api_without_routing) },
          { label: 'api, read-your-writes', value: num(freshRow.stale_through_the_api) },
          { label: 'raw SQL on the replica (reference)', value: num(freshRow.stale_reading_the_replica_directly) },
        ],
      },
    ],
    notes: [
      `Open-loop load at ${settings.rate} req/s from 60 client addresses through the lab shop's balancer (2 api instances): 70% product views (Zipf over ${settings.products} products), 30% listing pages. The cache switch is off in both runs, so every read reaches PostgreSQL; each run starts a fresh shop.`,
      "Queries are the SELECTs on products recorded by pg_stat_statements for the run's own catalog database, on the primary and on the replica. CPU is the PostgreSQL processes' user + system time from /proc (the whole server: other engineers' work on this shared machine adds to it; the query counts are exact).",
      `Read-your-writes: ${settings.tries} times, a write then a read at once, through the api with replicaReads on: an admin PATCH /products/3 then GET /products/3 with the cookies it was given (session, tenk_lsn). stale_through_the_api: read-your-writes routing on (the read goes to the replica only once it has replayed past the write). stale_through_the_api_without_routing: the same shop with TENK_REPLICA_READ_YOUR_WRITES=off (the read goes to any healthy replica, as TypeORM's own replication would).`,
      'stale_reading_the_replica_directly is raw SQL, not the api: an UPDATE on the primary, then a SELECT on the replica at once; a reference for the api numbers.',
      `${rounds} round${rounds === 1 ? '' : 's'}: replicaReads off and on interleaved, then raw SQL / api without routing / api with routing interleaved, each api run on a fresh shop; every number is the median of the rounds, <key>_min and <key>_max its spread.`,
    ],
  };
}

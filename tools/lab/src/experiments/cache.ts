import type { Experiment, LabContext, LabResult } from '../experiment';
import { createLabCatalog, expectCacheSwitch, expectHealthyRun, productSelects, runReadLoad, scrape, startCacheLabShop, statusCounts, sum, type LabCatalog, type ReadSample } from './cache-lab-shop';
import { percentile } from './open-loop';
import { catalogWorkload, seededRandom } from './cache-workload';

interface Settings {
  rate: number;
  warmupS: number;
  seconds: number;
  products: number;
  exponent: number;
  listingShare: number;
}

interface Run {
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** SELECTs on products PostgreSQL ran (primary + replica) during the measured phase. */
  databaseQueries: number;
  databaseQueriesOnReplica: number;
  /** HTTP-layer cache lookups that were answered without running the handler. */
  hits: number;
  lookups: number;
}

const HTTP_CACHES = new Set(['GET /products/:id', 'GET /products']);

/**
 * `npm run lab -- cache`: a read-heavy catalog workload (product views with Zipf popularity,
 * plus listing pages) sent at a fixed rate through the lab shop's balancer, once with the
 * `cache` switch off and once on, each on a fresh shop with a cold cache that warms up before
 * the measured phase. Counts the queries PostgreSQL really ran (pg_stat_statements, primary +
 * replica, on the experiment's own catalog database).
 */
export const cacheExperiment: Experiment = {
  name: 'cache',
  summary: 'Zipf catalog reads through the balancer, cache off vs on: DB queries/s, p50/p99, hit ratio, % fewer queries',
  async run(context: LabContext): Promise<LabResult> {
    const settings: Settings = {
      rate: context.option('rate', context.quick ? 100 : 300),
      warmupS: context.option('warmup', context.seconds(60, 3)),
      seconds: context.seconds(30, 4),
      products: context.option('products', 5_000),
      exponent: context.option('zipf', 1),
      listingShare: 0.15,
    };
    context.log(
      `${settings.rate} req/s (${Math.round(settings.listingShare * 100)}% listings, the rest product views, Zipf s=${settings.exponent} over ${settings.products} products); ` +
        `${settings.warmupS} s warm-up, ${settings.seconds} s measured, per run`,
    );
    const catalog = await createLabCatalog(context, settings.products);
    try {
      const off = await measure(context, catalog, false, settings);
      const on = await measure(context, catalog, true, settings);
      return report(off, on, settings);
    } finally {
      await catalog.drop();
    }
  },
};

async function measure(context: LabContext, catalog: LabCatalog, cacheOn: boolean, settings: Settings): Promise<Run> {
  const label = `cache ${cacheOn ? 'on' : 'off'}`;
  const shop = await startCacheLabShop(context, catalog, { TENK_SWITCH_CACHE: cacheOn ? 'on' : 'off' });
  try {
    await expectCacheSwitch(shop.apis, cacheOn);
    const workload = catalogWorkload({ products: settings.products, exponent: settings.exponent, seed: 2026 });
    const random = seededRandom(2027);
    // Many client addresses: the balancer limits requests per client, as it would for real shoppers.
    const load = (seconds: number) =>
      runReadLoad({
        origin: shop.origin,
        clients: 60,
        ratePerSecond: settings.rate,
        durationMs: seconds * 1000,
        next: () => (random() < settings.listingShare ? workload.listing() : workload.productView()),
      });
    context.log(`${label}: warming up for ${settings.warmupS} s`);
    await load(settings.warmupS);
    const queriesBefore = await productSelects(context.config, catalog.database);
    const lookupsBefore = await scrape(shop.apis, 'tenk_cache_lookups_total');
    context.log(`${label}: measuring for ${settings.seconds} s`);
    const samples = await load(settings.seconds);
    expectHealthyRun(label, samples);
    const queriesAfter = await productSelects(context.config, catalog.database);
    context.log(`${label}: product SELECTs before ${JSON.stringify(queriesBefore)}, after ${JSON.stringify(queriesAfter)}`);
    const lookupsAfter = await scrape(shop.apis, 'tenk_cache_lookups_total');
    const counted = (samplesOf: typeof lookupsAfter, outcomes: string[]) => sum(samplesOf, (labels) => HTTP_CACHES.has(labels['cache']) && outcomes.includes(labels['outcome']));
    const all = ['hit', 'stale', 'miss', 'coalesced', 'bypass'];
    const answered = ['hit', 'stale', 'coalesced'];
    const run: Run = {
      ...latency(samples, settings.seconds),
      databaseQueries: queriesAfter.primary + queriesAfter.replica - queriesBefore.primary - queriesBefore.replica,
      databaseQueriesOnReplica: queriesAfter.replica - queriesBefore.replica,
      hits: counted(lookupsAfter, answered) - counted(lookupsBefore, answered),
      lookups: counted(lookupsAfter, all) - counted(lookupsBefore, all),
    };
    context.log(
      `${label}: ${run.requests} requests (${statusCounts(samples)}), p50 ${run.p50Ms} ms, p99 ${run.p99Ms} ms; ` +
        `${run.databaseQueries} product queries (${(run.databaseQueries / settings.seconds).toFixed(1)}/s); hit ratio ${ratio(run.hits, run.lookups)}`,
    );
    return run;
  } finally {
    await shop.stop();
  }
}

function latency(samples: ReadSample[], seconds: number): Pick<Run, 'requests' | 'requestsPerSecond' | 'p50Ms' | 'p99Ms' | 'errors'> {
  const latencies = samples.filter((sample) => sample.status > 0).map((sample) => sample.latencyMs);
  return {
    requests: samples.length,
    requestsPerSecond: Number((samples.length / seconds).toFixed(1)),
    p50Ms: Number(percentile(latencies, 50).toFixed(2)),
    p99Ms: Number(percentile(latencies, 99).toFixed(2)),
    errors: samples.filter((sample) => sample.status !== 200).length,
  };
}

function ratio(part: number, whole: number): string {
  return whole === 0 ? 'n/a' : `${((part / whole) * 100).toFixed(1)}%`;
}

function report(off: Run, on: Run, settings: Settings): LabResult {
  const perRequest = (run: Run) => run.databaseQueries / Math.max(1, run.requests);
  const reduction = (1 - perRequest(on) / perRequest(off)) * 100;
  const row = (run: Run) => ({
    requests: run.requests,
    requests_per_second: run.requestsPerSecond,
    p50_ms: run.p50Ms,
    p99_ms: run.p99Ms,
    errors: run.errors,
    database_queries: run.databaseQueries,
    database_queries_per_second: Number((run.databaseQueries / settings.seconds).toFixed(1)),
    database_queries_per_request: Number(perRequest(run).toFixed(3)),
    database_queries_on_replica: run.databaseQueriesOnReplica,
    http_cache_hit_ratio: run.lookups === 0 ? 0 : Number((run.hits / run.lookups).toFixed(3)),
  });
  return {
    headline: `the cache cut database queries by ${reduction.toFixed(1)}% (${(off.databaseQueries / settings.seconds).toFixed(0)}/s -> ${(on.databaseQueries / settings.seconds).toFixed(0)}/s at ${settings.rate} req/s), hit ratio ${ratio(on.hits, on.lookups)}, p99 ${off.p99Ms} -> ${on.p99Ms} ms`,
    measurements: {
      'cache off': row(off),
      'cache on': row(on),
      result: { reduction_percent: Number(reduction.toFixed(1)), target_reduction_percent: '>= 90', hit_ratio: ratio(on.hits, on.lookups), p99_ratio: Number((on.p99Ms / Math.max(0.001, off.p99Ms)).toFixed(2)) },
    },
    charts: [
      {
        title: 'Database queries per second (SELECTs on products, primary + replica)',
        unit: 'q/s',
        lowerIsBetter: true,
        bars: [
          { label: 'cache off', value: Number((off.databaseQueries / settings.seconds).toFixed(1)) },
          { label: 'cache on', value: Number((on.databaseQueries / settings.seconds).toFixed(1)) },
        ],
      },
      {
        title: 'Latency through the balancer',
        unit: 'ms',
        lowerIsBetter: true,
        bars: [
          { label: 'cache off p50', value: off.p50Ms, series: 'p50' },
          { label: 'cache on p50', value: on.p50Ms, series: 'p50' },
          { label: 'cache off p99', value: off.p99Ms, series: 'p99' },
          { label: 'cache on p99', value: on.p99Ms, series: 'p99' },
        ],
      },
      { title: 'HTTP cache hit ratio (cache on)', unit: '%', bars: [{ label: 'hits / lookups', value: on.lookups === 0 ? 0 : Number(((on.hits / on.lookups) * 100).toFixed(1)) }] },
    ],
    notes: [
      `Open-loop load at ${settings.rate} req/s from 60 client addresses through the lab shop's balancer (2 api instances): ${Math.round((1 - settings.listingShare) * 100)}% product views (GET /products/:id, Zipf s=${settings.exponent} over ${settings.products} products), ${Math.round(settings.listingShare * 100)}% listing pages (10 categories x 20 pages, Zipf).`,
      `Each run starts a fresh shop with an empty cache Redis, warms up for ${settings.warmupS} s, then measures ${settings.seconds} s. The cache switch is set at boot (TENK_SWITCH_CACHE) in the run's own queue Redis.`,
      'Database queries are the SELECTs on products that PostgreSQL recorded in pg_stat_statements for the experiment\'s own catalog database, on the primary and the streaming replica (catalog reads go to the replica).',
      'Cache settings are the shop\'s defaults (TTL 5 min, stale window 30 s, in-process tier 2,000 entries / 5 s): the TTL is a safety net because writes invalidate, so the long tail stays cached.',
      'The machine is shared (2 cores, other engineers\' work): latencies wander between runs; the query counts do not.',
    ],
  };
}

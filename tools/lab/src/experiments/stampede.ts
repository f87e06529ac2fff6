import type { Experiment, LabContext, LabResult } from '../experiment';
import {
  createLabCatalog,
  expectHealthyRun,
  productSelects,
  runReadLoad,
  scrape,
  startCacheLabShop,
  statusCounts,
  sum,
  type LabCatalog,
} from './cache-lab-shop';
import { percentile } from './open-loop';
import { interleaved, quote, roundsFor, summarize, type Row } from '../repeats';

interface Settings {
  rate: number;
  seconds: number;
  warmupS: number;
  ttlMs: number;
  path: string;
}

interface Run {
  requests: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Times the route handler ran (cache loads of the hot key), from tenk_cache_loads_total. */
  loads: number;
  /** SELECTs on products PostgreSQL ran meanwhile (a load of this listing is two: rows and count). */
  databaseQueries: number;
}

const HOT_CACHE = 'GET /products';

/**
 * `npm run lab -- stampede`: one hot listing (a search, the costliest catalog read) requested
 * at a steady rate through the balancer while its cache entry expires every 2 s. Without the
 * guard (TENK_CACHE_STAMPEDE_GUARD=off: what Nest's stock CacheInterceptor does) every request
 * that arrives during a reload reloads it too; with it, one caller per expiry in the whole
 * shop refreshes it (a Redis lease) while everyone else is answered (stale-while-revalidate).
 * The two runs are interleaved over `--rounds` rounds (3); each figure is the median, with its
 * spread.
 */
export const stampedeExperiment: Experiment = {
  name: 'stampede',
  summary: 'a hot key expiring under load, without vs with the stampede guard: database loads per expiry, p99',
  async run(context: LabContext): Promise<LabResult> {
    const settings: Settings = {
      rate: context.option('rate', context.quick ? 200 : 600),
      seconds: context.seconds(20, 4),
      warmupS: context.seconds(3, 1),
      ttlMs: context.option('ttl', 2_000),
      path: '/products?search=sturdy&sort=price&limit=20',
    };
    context.log(`${settings.rate} req/s for ${settings.path}, its entry fresh for ${settings.ttlMs} ms; ${settings.seconds} s per run`);
    const catalog = await createLabCatalog(context, context.option('products', 5_000));
    try {
      const runs = await interleaved(
        roundsFor(context),
        ['without the guard', 'with the guard'] as const,
        (variant) => measure(context, catalog, variant === 'with the guard', settings),
        context.log,
      );
      return report(runs['without the guard'], runs['with the guard'], settings);
    } finally {
      await catalog.drop();
    }
  },
};

async function measure(context: LabContext, catalog: LabCatalog, guard: boolean, settings: Settings): Promise<Run> {
  const label = guard ? 'with the guard' : 'without the guard';
  const shop = await startCacheLabShop(context, catalog, {
    TENK_CACHE_STAMPEDE_GUARD: guard ? 'on' : 'off',
    TENK_CACHE_TTL: `${settings.ttlMs}ms`,
    TENK_CACHE_NOT_FOUND_TTL: `${Math.min(settings.ttlMs, 5_000)}ms`,
    // Only the shared Redis tier: the in-process tier would hide part of the expiries.
    TENK_CACHE_LOCAL_ENTRIES: '0',
    // TypeORM's query cache off in effect (1 ms): it would serve the listing's count and hide half of each load.
    TENK_CACHE_QUERY_TTL: '1ms',
  });
  try {
    const load = (seconds: number) =>
      runReadLoad({
        origin: shop.origin,
        clients: 60,
        ratePerSecond: settings.rate,
        durationMs: seconds * 1000,
        next: () => settings.path,
      });
    await load(settings.warmupS);
    const queriesBefore = await productSelects(context.config, catalog.database);
    const loadsBefore = sum(await scrape(shop.apis, 'tenk_cache_loads_total'), (labels) => labels['cache'] === HOT_CACHE);
    context.log(`${label}: measuring for ${settings.seconds} s`);
    const samples = await load(settings.seconds);
    // Without the guard, failures can be the stampede itself; with it, they mean the machine was overloaded.
    if (guard) expectHealthyRun(label, samples);
    const queriesAfter = await productSelects(context.config, catalog.database);
    const loadsAfter = sum(await scrape(shop.apis, 'tenk_cache_loads_total'), (labels) => labels['cache'] === HOT_CACHE);
    const latencies = samples.filter((sample) => sample.status > 0).map((sample) => sample.latencyMs);
    const run: Run = {
      requests: samples.length,
      errors: samples.filter((sample) => sample.status !== 200).length,
      p50Ms: Number(percentile(latencies, 50).toFixed(2)),
      p99Ms: Number(percentile(latencies, 99).toFixed(2)),
      maxMs: Number(Math.max(0, ...latencies).toFixed(2)),
      loads: loadsAfter - loadsBefore,
      databaseQueries: queriesAfter.primary + queriesAfter.replica - queriesBefore.primary - queriesBefore.replica,
    };
    context.log(
      `${label}: ${run.loads} loads, ${run.databaseQueries} product queries, p99 ${run.p99Ms} ms, answers ${statusCounts(samples)}`,
    );
    return run;
  } finally {
    await shop.stop();
  }
}

function report(withoutRuns: Run[], withRuns: Run[], settings: Settings): LabResult {
  const expiries = Math.max(1, Math.floor((settings.seconds * 1000) / settings.ttlMs));
  const perExpiry = (run: Run) => Number((run.loads / expiries).toFixed(1));
  const row = (run: Run): Row => ({
    requests: run.requests,
    errors: run.errors,
    loads: run.loads,
    loads_per_expiry: perExpiry(run),
    database_queries: run.databaseQueries,
    p50_ms: run.p50Ms,
    p99_ms: run.p99Ms,
    max_ms: run.maxMs,
  });
  const without = summarize(withoutRuns.map(row));
  const withGuard = summarize(withRuns.map(row));
  const rounds = withRuns.length;
  const num = (value: number | string | undefined) => Number(value ?? 0);
  return {
    headline: `a hot key expiring every ${settings.ttlMs / 1000} s under ${settings.rate} req/s: ${quote(without, 'loads_per_expiry')} database loads per expiry without the guard, ${quote(withGuard, 'loads_per_expiry')} with it; p99 ${quote(without, 'p99_ms', 'ms')} vs ${quote(withGuard, 'p99_ms', 'ms')} (median of ${rounds} round${rounds === 1 ? '' : 's'})`,
    measurements: {
      'without the guard': without,
      'with the guard': withGuard,
      settings: { rate: settings.rate, seconds: settings.seconds, ttl_ms: settings.ttlMs, expiries, path: settings.path, rounds },
    },
    charts: [
      {
        title: 'Loads of the hot key per expiry',
        unit: 'loads',
        lowerIsBetter: true,
        bars: [
          { label: 'without the guard', value: num(without.loads_per_expiry) },
          { label: 'with the guard', value: num(withGuard.loads_per_expiry) },
        ],
      },
      {
        title: 'Latency through the balancer',
        unit: 'ms',
        lowerIsBetter: true,
        bars: [
          { label: 'without p50', value: num(without.p50_ms), series: 'p50' },
          { label: 'with p50', value: num(withGuard.p50_ms), series: 'p50' },
          { label: 'without p99', value: num(without.p99_ms), series: 'p99' },
          { label: 'with p99', value: num(withGuard.p99_ms), series: 'p99' },
        ],
      },
    ],
    notes: [
      `Open-loop load of ${settings.rate} req/s for ${settings.path} from 60 client addresses through the lab shop's balancer (2 api instances), ${settings.seconds} s measured after a ${settings.warmupS} s warm-up; the entry is fresh for ${settings.ttlMs} ms (TENK_CACHE_TTL), so it expires about ${expiries} times.`,
      'Without the guard: TENK_CACHE_STAMPEDE_GUARD=off, the stock behaviour (get, miss, load, set): every request arriving while the entry is being reloaded loads it too.',
      'With the guard: concurrent misses share one load per process and one per shop (a Redis lease), and a stale entry is served for up to 30 s while one caller refreshes it in the background.',
      `${rounds} round${rounds === 1 ? '' : 's'}, the two runs interleaved in each, each on a fresh shop: every number is the median of the rounds, <key>_min and <key>_max its spread.`,
      "Loads are the route handler runs counted by tenk_cache_loads_total; database queries are SELECTs on products in pg_stat_statements (primary + replica) for the experiment's own catalog database. The in-process tier and TypeORM's query cache are off in both runs so only the guard differs.",
    ],
  };
}

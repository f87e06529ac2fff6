import { setTimeout as sleep } from 'node:timers/promises';
import type { Experiment, LabContext, LabResult } from '../experiment';
import { interleaved, median, quote, roundsFor, summarize, type Row } from '../repeats';
import {
  CookieClient,
  createLabAdmin,
  createLabCatalog,
  expectCacheSwitch,
  expectHealthyRun,
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
import { catalogWorkload, seededRandom, ZipfSampler } from './cache-workload';

interface Settings {
  rate: number;
  warmupS: number;
  seconds: number;
  products: number;
  exponent: number;
  listingShare: number;
  /** The realistic mix: admin price updates through the api per second, and the cache TTL. */
  writesPerSecond: number;
  mixTtlS: number;
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
  /** Mix only: price updates that went through (200) during the measured phase, and the others. */
  writes: number;
  failedWrites: number;
}

/**
 * The four runs of each round, interleaved: the read-only best case (no write, the default
 * 5-minute TTL: nothing expires or is invalidated while measured) and the realistic mix (price
 * updates that invalidate, a short TTL that expires within the window), each cache off and on.
 * The read-only keys are the ones the docs link to.
 */
const VARIANTS = ['cache off', 'cache on', 'mix: cache off', 'mix: cache on'] as const;
type Variant = (typeof VARIANTS)[number];

const HTTP_CACHES = new Set(['GET /products/:id', 'GET /products']);

/**
 * `npm run lab -- cache`: a read-heavy catalog workload (product views with Zipf popularity,
 * plus listing pages) sent at a fixed rate through the lab shop's balancer, with the `cache`
 * switch off and on, in two scenarios: read-only (the best case) and a realistic mix (admin
 * price updates through the api, which invalidate, and a short TTL, so entries expire while
 * measured). The four runs are interleaved over `--rounds` rounds, each on a fresh shop with a
 * cold cache that warms up before the measured phase. Counts the queries PostgreSQL really ran
 * (pg_stat_statements, primary + replica, on the experiment's own catalog database).
 */
export const cacheExperiment: Experiment = {
  name: 'cache',
  summary:
    'Zipf catalog reads through the balancer, cache off vs on, read-only and with price writes + short TTL: DB queries/s, p50/p99, hit ratio',
  async run(context: LabContext): Promise<LabResult> {
    const settings: Settings = {
      rate: context.option('rate', context.quick ? 100 : 300),
      warmupS: context.option('warmup', context.seconds(60, 3)),
      seconds: context.seconds(30, 4),
      products: context.option('products', 5_000),
      exponent: context.option('zipf', 1),
      listingShare: 0.15,
      writesPerSecond: context.option('writes', 2),
      mixTtlS: context.option('mix-ttl', context.quick ? 5 : 10),
    };
    context.log(
      `${settings.rate} req/s (${Math.round(settings.listingShare * 100)}% listings, the rest product views, Zipf s=${settings.exponent} over ${settings.products} products); ` +
        `${settings.warmupS} s warm-up, ${settings.seconds} s measured, per run`,
    );
    context.log(
      `realistic mix: the same reads + ${settings.writesPerSecond} admin price updates/s through the api (Zipf over the same products), cache TTL ${settings.mixTtlS} s`,
    );
    const catalog = await createLabCatalog(context, settings.products);
    try {
      const admin = await createLabAdmin(context.config, catalog);
      const runs = await interleaved(
        roundsFor(context),
        VARIANTS,
        (variant) => measure(context, catalog, variant, settings, admin),
        context.log,
      );
      return report(runs, settings);
    } finally {
      await catalog.drop();
    }
  },
};

async function measure(
  context: LabContext,
  catalog: LabCatalog,
  label: Variant,
  settings: Settings,
  account: { email: string; password: string },
): Promise<Run> {
  const cacheOn = label.endsWith('cache on');
  const mix = label.startsWith('mix');
  // The mix's short TTL; a not-found answer may not be cached longer than a found one.
  const ttl: Record<string, string> = mix
    ? { TENK_CACHE_TTL: `${settings.mixTtlS}s`, TENK_CACHE_NOT_FOUND_TTL: `${Math.min(5, settings.mixTtlS)}s` }
    : {};
  const shop = await startCacheLabShop(context, catalog, { TENK_SWITCH_CACHE: cacheOn ? 'on' : 'off', ...ttl });
  const writer = mix ? await PriceWriter.start(shop.origin, account, settings) : undefined;
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
    const writesBefore = writer?.counts();
    const queriesBefore = await productSelects(context.config, catalog.database);
    const lookupsBefore = await scrape(shop.apis, 'tenk_cache_lookups_total');
    context.log(`${label}: measuring for ${settings.seconds} s`);
    const samples = await load(settings.seconds);
    expectHealthyRun(label, samples);
    const writesAfter = writer?.counts();
    const queriesAfter = await productSelects(context.config, catalog.database);
    context.log(`${label}: product SELECTs before ${JSON.stringify(queriesBefore)}, after ${JSON.stringify(queriesAfter)}`);
    const lookupsAfter = await scrape(shop.apis, 'tenk_cache_lookups_total');
    const counted = (samplesOf: typeof lookupsAfter, outcomes: string[]) =>
      sum(samplesOf, (labels) => HTTP_CACHES.has(labels['cache']) && outcomes.includes(labels['outcome']));
    const all = ['hit', 'stale', 'miss', 'coalesced', 'bypass'];
    const answered = ['hit', 'stale', 'coalesced'];
    const run: Run = {
      ...latency(samples, settings.seconds),
      databaseQueries: queriesAfter.primary + queriesAfter.replica - queriesBefore.primary - queriesBefore.replica,
      databaseQueriesOnReplica: queriesAfter.replica - queriesBefore.replica,
      hits: counted(lookupsAfter, answered) - counted(lookupsBefore, answered),
      lookups: counted(lookupsAfter, all) - counted(lookupsBefore, all),
      writes: (writesAfter?.ok ?? 0) - (writesBefore?.ok ?? 0),
      failedWrites: (writesAfter?.failed ?? 0) - (writesBefore?.failed ?? 0),
    };
    if (run.failedWrites > run.writes * 0.01)
      throw new Error(
        `${label}: ${run.failedWrites} of ${run.writes + run.failedWrites} price updates failed; the machine is probably overloaded: run it again when it is quieter`,
      );
    context.log(
      `${label}: ${run.requests} requests (${statusCounts(samples)}), p50 ${run.p50Ms} ms, p99 ${run.p99Ms} ms; ` +
        `${run.databaseQueries} product queries (${(run.databaseQueries / settings.seconds).toFixed(1)}/s); hit ratio ${ratio(run.hits, run.lookups)}${mix ? `; ${run.writes} price updates` : ''}`,
    );
    return run;
  } finally {
    await writer?.stop();
    await shop.stop();
  }
}

/**
 * An admin changing prices through the api at a steady rate, on products picked with the same
 * Zipf popularity as the views (price changes go where shoppers look): each update invalidates
 * the product and every listing page (tag `catalog`), as in production.
 */
class PriceWriter {
  #ok = 0;
  #failed = 0;
  #stopped = false;
  #loop: Promise<void> = Promise.resolve();

  private constructor(
    private readonly admin: CookieClient,
    private readonly settings: Settings,
  ) {}

  static async start(origin: string, account: { email: string; password: string }, settings: Settings): Promise<PriceWriter> {
    const admin = new CookieClient(origin);
    const login = await admin.send('POST', '/auth/login', account);
    if (login.status !== 200) throw new Error(`lab admin sign-in answered ${login.status}`);
    const writer = new PriceWriter(admin, settings);
    writer.#loop = writer.#run();
    return writer;
  }

  counts(): { ok: number; failed: number } {
    return { ok: this.#ok, failed: this.#failed };
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
  }

  async #run(): Promise<void> {
    if (this.settings.writesPerSecond <= 0) return;
    const products = new ZipfSampler(this.settings.products, this.settings.exponent, seededRandom(2029));
    const started = performance.now();
    for (let index = 0; !this.#stopped; index++) {
      const due = started + (index * 1000) / this.settings.writesPerSecond;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      if (this.#stopped) break;
      const answer = await this.admin
        .send('PATCH', `/products/${products.next()}`, { priceCents: 199 + (index % 20_000) })
        .catch(() => ({ status: 0 }));
      if (answer.status === 200) this.#ok++;
      else this.#failed++;
    }
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

const perRequest = (run: Run) => run.databaseQueries / Math.max(1, run.requests);

function row(run: Run, settings: Settings): Row {
  return {
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
  };
}

/** The comparison of one round's off and on runs. */
function comparison(off: Run, on: Run): Row {
  return {
    reduction_percent: Number(((1 - perRequest(on) / Math.max(1e-9, perRequest(off))) * 100).toFixed(1)),
    hit_ratio_percent: on.lookups === 0 ? 0 : Number(((on.hits / on.lookups) * 100).toFixed(1)),
    p99_ratio: Number((on.p99Ms / Math.max(0.001, off.p99Ms)).toFixed(2)),
  };
}

function report(runs: Record<Variant, Run[]>, settings: Settings): LabResult {
  const rounds = runs['cache on'].length;
  const scenario = (offKey: Variant, onKey: Variant) => {
    const result = summarize(runs[onKey].map((on, index) => comparison(runs[offKey][index], on)));
    return {
      off: summarize(runs[offKey].map((run) => row(run, settings))),
      on: summarize(runs[onKey].map((run) => row(run, settings))),
      result,
    };
  };
  const readOnly = scenario('cache off', 'cache on');
  const mix = scenario('mix: cache off', 'mix: cache on');
  const mixExtras = (list: Run[]): Row => ({
    price_updates_per_second: Number((median(list.map((run) => run.writes)) / settings.seconds).toFixed(2)),
    cache_ttl_s: settings.mixTtlS,
  });
  const num = (value: number | string | undefined) => Number(value ?? 0);
  const qps = (summary: Row) => num(summary.database_queries_per_second);
  return {
    headline:
      `read-only (best case): the cache cut database queries by ${quote(readOnly.result, 'reduction_percent', '%')}, hit ratio ${quote(readOnly.result, 'hit_ratio_percent', '%')}, p99 ${quote(readOnly.off, 'p99_ms', 'ms')} -> ${quote(readOnly.on, 'p99_ms', 'ms')}; ` +
      `with ${settings.writesPerSecond} price updates/s and a ${settings.mixTtlS} s TTL: ${quote(mix.result, 'reduction_percent', '%')}, hit ratio ${quote(mix.result, 'hit_ratio_percent', '%')}, p99 ${quote(mix.off, 'p99_ms', 'ms')} -> ${quote(mix.on, 'p99_ms', 'ms')} ` +
      `(${settings.rate} req/s, median of ${rounds} round${rounds === 1 ? '' : 's'})`,
    measurements: {
      'cache off': readOnly.off,
      'cache on': readOnly.on,
      result: { ...readOnly.result, target_reduction_percent: '>= 90', hit_ratio: `${num(readOnly.result.hit_ratio_percent).toFixed(1)}%` },
      'mix: cache off': { ...mix.off, ...mixExtras(runs['mix: cache off']) },
      'mix: cache on': { ...mix.on, ...mixExtras(runs['mix: cache on']) },
      'mix: result': mix.result,
    },
    charts: [
      {
        title: 'Database queries per second (SELECTs on products, primary + replica), median',
        unit: 'q/s',
        lowerIsBetter: true,
        bars: [
          { label: 'read-only, cache off', value: qps(readOnly.off), series: 'read-only' },
          { label: 'read-only, cache on', value: qps(readOnly.on), series: 'read-only' },
          { label: 'mix, cache off', value: qps(mix.off), series: 'mix' },
          { label: 'mix, cache on', value: qps(mix.on), series: 'mix' },
        ],
      },
      {
        title: 'p99 through the balancer, median',
        unit: 'ms',
        lowerIsBetter: true,
        bars: [
          { label: 'read-only, cache off', value: num(readOnly.off.p99_ms), series: 'read-only' },
          { label: 'read-only, cache on', value: num(readOnly.on.p99_ms), series: 'read-only' },
          { label: 'mix, cache off', value: num(mix.off.p99_ms), series: 'mix' },
          { label: 'mix, cache on', value: num(mix.on.p99_ms), series: 'mix' },
        ],
      },
      {
        title: 'HTTP cache hit ratio (cache on), median',
        unit: '%',
        bars: [
          { label: 'read-only', value: num(readOnly.result.hit_ratio_percent) },
          { label: 'mix', value: num(mix.result.hit_ratio_percent) },
        ],
      },
    ],
    notes: [
      `Open-loop load at ${settings.rate} req/s from 60 client addresses through the lab shop's balancer (2 api instances): ${Math.round((1 - settings.listingShare) * 100)}% product views (GET /products/:id, Zipf s=${settings.exponent} over ${settings.products} products), ${Math.round(settings.listingShare * 100)}% listing pages (10 categories x 20 pages, Zipf).`,
      `Each run starts a fresh shop with an empty cache Redis, warms up for ${settings.warmupS} s, then measures ${settings.seconds} s. The cache switch is set at boot (TENK_SWITCH_CACHE) in the run's own queue Redis.`,
      "Database queries are the SELECTs on products that PostgreSQL recorded in pg_stat_statements for the experiment's own catalog database, on the primary and the streaming replica (catalog reads go to the replica; the mix's price updates read the product on the primary too).",
      "read-only ('cache off', 'cache on', 'result'): the best case. No writes and the shop's default TTL (5 min, stale window 30 s, in-process tier 2,000 entries / 5 s), so no entry expires or is invalidated while measured.",
      `mix ('mix: cache off', 'mix: cache on', 'mix: result'): the same reads, plus an admin updating prices through the api (PATCH /products/:id) ${settings.writesPerSecond} times a second, on products picked with the same Zipf popularity, during warm-up and measurement; each update invalidates that product and every listing page (tag catalog). TENK_CACHE_TTL=${settings.mixTtlS}s, so entries also expire within the ${settings.seconds} s window.`,
      `${rounds} round${rounds === 1 ? '' : 's'}, the four runs interleaved in each (read-only off, on, mix off, on): every number is the median of the rounds, <key>_min and <key>_max its spread; reduction_percent and p99_ratio are computed per round (off and on of the same round), then the median taken.`,
    ],
  };
}

import { request } from 'undici';
import type { Shop } from '@tenk/shop';
import { controlHeaders } from '@tenk/control-plane';
import { newClientAddress, startEphemeralRedis } from '@tenk/testing';
import type { Experiment, LabContext, LabResult } from '../experiment';
import { labProductIds, startLabShop, waitForFreeLabPorts } from '../lab-shop';
import { scrape, sum } from './cache-lab-shop';
import { sampleProcess } from '../process-stats';
import { percentile, runOpenLoop, statusCounts, type LoadRequest, type Sample } from './open-loop';
import { interleaved, quote, roundsFor, roundsNote, summarize, type Row } from '../repeats';

const BUCKET_MS = 500;
/** An order answered this fast during the hang was refused by an open breaker, not stuck. */
const FAST_MS = 250;

interface Timeline {
  faultStartMs: number;
  faultEndMs: number;
  endMs: number;
}

interface RunOutcome {
  samples: Sample[];
  unsent: Record<string, number>;
  timeline: Timeline;
  ordersAvailable: boolean;
  paymentCallsDuringHang: number;
  breakerRejections: number;
  /** CPU the api instances used during the hang, and their largest resident memory in the run. */
  apiCpuDuringHangS: number;
  apiPeakRssMiB: number;
}

/**
 * The three ways the api can call payment-sim, each a row of the result. The first keeps its
 * old key so links to it stay valid; `setup` in each row says what it is.
 */
const VARIANTS = ['without breakers', 'timeout only', 'with breakers'] as const;
type Variant = (typeof VARIANTS)[number];

const SETUPS: Record<Variant, { short: string; setup: string; env: Record<string, string> }> = {
  'without breakers': {
    short: 'no protection',
    setup: 'no protection: the breakers switch off, so the payment call has no timeout, retry, bulkhead or breaker',
    env: { TENK_SWITCH_BREAKERS: 'off' },
  },
  'timeout only': {
    short: 'timeout only',
    setup:
      'timeout only: the breakers switch on, the payments policy narrowed to its 2 s timeout (TENK_RESILIENCE_PAYMENTS_LAYERS=timeout): no breaker, bulkhead or retry',
    env: { TENK_SWITCH_BREAKERS: 'on', TENK_RESILIENCE_PAYMENTS_LAYERS: 'timeout' },
  },
  'with breakers': {
    short: 'timeout + breaker',
    setup: 'timeout + breaker: the breakers switch on with the whole payments policy (2 s timeout, breaker, bulkhead of 32, retries)',
    env: { TENK_SWITCH_BREAKERS: 'on' },
  },
};

/**
 * `npm run lab -- breaker`: payment-sim hangs for 30 s while shoppers browse the catalog and
 * place orders through the lab shop's balancer. The same load runs with no protection, with
 * the payment call's timeout only, and with timeout + breaker, interleaved over `--rounds`
 * rounds (3 by default); each run gets a fresh shop and its own queue Redis (where the switches
 * live), so no other shop on this machine is touched. Each figure is the median of the rounds,
 * with its spread.
 */
export const breakerExperiment: Experiment = {
  name: 'breaker',
  summary:
    'payment-sim hangs 30 s under mixed load: orders and catalog with no protection, timeout only, timeout + breaker (3 interleaved rounds)',
  async run(context: LabContext): Promise<LabResult> {
    const timeline = {
      baselineS: context.seconds(10, 2),
      hangS: context.option('hang', context.seconds(30, 4)),
      recoveryS: context.seconds(20, 8),
    };
    const rates = { reads: context.option('reads', 40), orders: context.option('orders', 10) };
    const rounds = roundsFor(context);
    context.log(
      `load: ${rates.reads} catalog reads/s + ${rates.orders} orders/s; ${timeline.baselineS} s calm, ${timeline.hangS} s payment-sim hangs, ${timeline.recoveryS} s after; ${rounds} round(s) of ${VARIANTS.length} runs`,
    );
    const runs = await interleaved(rounds, VARIANTS, (variant) => measureRun(context, variant, timeline, rates), context.log);
    return report(runs, timeline, rates);
  },
};

async function measureRun(
  context: LabContext,
  variant: Variant,
  seconds: { baselineS: number; hangS: number; recoveryS: number },
  rates: { reads: number; orders: number },
): Promise<RunOutcome> {
  // 15 s free in a row: another experiment frees the ports for a moment between its two shops.
  await waitForFreeLabPorts(context, 15_000);
  const queueRedis = await startEphemeralRedis(['--maxmemory-policy', 'noeviction']);
  const breakers = SETUPS[variant].env['TENK_SWITCH_BREAKERS'] === 'on';
  const tag = SETUPS[variant].short.replace(/\W+/g, '-');
  let shop: Shop | undefined;
  try {
    shop = await startLabShop(context, {
      apiInstances: 2,
      components: context.flag('direct') ? ['payment-sim', 'api'] : ['payment-sim', 'api', 'balancer'],
      env: { TENK_REDIS_QUEUE_PORT: String(queueRedis.port), ...SETUPS[variant].env },
    });
    // --direct: straight to the api instances, for when the balancer is not usable.
    const origins = context.flag('direct') ? shop.urls.apis : [shop.urls.shop];
    const origin = origins[0];
    const admin = { url: `http://127.0.0.1:${shop.config.services.paymentSimAdminPort}`, token: shop.controlToken };
    const switchOn = await readSwitch(shop.urls.apis[0]);
    if (switchOn !== breakers)
      throw new Error(`the api reports the breakers switch ${switchOn ? 'on' : 'off'}, expected ${breakers ? 'on' : 'off'}`);

    const products = await labProductIds(origin);
    const cookies = await signUp(origin, 10, tag);
    const runId = `${Date.now().toString(36)}-${tag}`;
    const order = (index: number): LoadRequest => ({
      path: '/orders',
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        cookie: cookies[index % cookies.length],
        'idempotency-key': `lab-breaker-${runId}-${index}`,
      },
      body: JSON.stringify({ lines: [{ productId: products[index % products.length], quantity: 1 }] }),
    });
    const { method, headers, body } = order(-1);
    const probe = await request(`${origin}/orders`, { method, headers, body });
    await probe.body.dump();
    const ordersAvailable = probe.statusCode !== 404;
    if (!ordersAvailable) context.log('POST /orders answers 404 (not built yet): running catalog reads only');

    const timeline: Timeline = {
      faultStartMs: seconds.baselineS * 1000,
      faultEndMs: (seconds.baselineS + seconds.hangS) * 1000,
      endMs: (seconds.baselineS + seconds.hangS + seconds.recoveryS) * 1000,
    };
    context.log(`${SETUPS[variant].short}: load running for ${timeline.endMs / 1000} s`);
    let paymentCallsDuringHang = 0;
    const apiPids = [...shop.processes.values()]
      .filter((process) => process.spec.name.startsWith('api-'))
      .flatMap((process) => (process.pid === undefined ? [] : [process.pid]));
    const apiCpuMs = () => apiPids.reduce((sum, pid) => sum + sampleProcess(pid).cpuMs, 0);
    let apiPeakRss = 0;
    const rssSampler = setInterval(() => (apiPeakRss = Math.max(apiPeakRss, ...apiPids.map((pid) => sampleProcess(pid).rssBytes))), 1_000);
    let apiCpuDuringHangMs = 0;
    const faults = (async () => {
      await sleep(timeline.faultStartMs);
      const cpuAtStart = apiCpuMs();
      await adminCall(admin, 'DELETE', '/admin/stats');
      const set = (await adminCall(admin, 'PUT', '/admin/faults', { hang: true })) as { hang: boolean };
      context.log(`payment-sim hangs (${JSON.stringify(set)})`);
      await sleep(timeline.faultEndMs - timeline.faultStartMs);
      const stats = (await adminCall(admin, 'GET', '/admin/stats')) as { received: Record<string, number> };
      paymentCallsDuringHang = Object.values(stats.received).reduce((sum, count) => sum + count, 0);
      apiCpuDuringHangMs = apiCpuMs() - cpuAtStart;
      context.log(`payment calls that reached payment-sim during the hang: ${JSON.stringify(stats)}`);
      await adminCall(admin, 'DELETE', '/admin/faults');
      context.log('payment-sim answers again');
    })();
    const load = await runOpenLoop({
      origins,
      clients: 100,
      durationMs: timeline.endMs,
      timeoutMs: 60_000,
      maxInFlight: 2_000,
      streams: [
        { name: 'reads', ratePerSecond: rates.reads, next: (index) => catalogRead(index, products) },
        ...(ordersAvailable ? [{ name: 'orders', ratePerSecond: rates.orders, next: order }] : []),
      ],
    });
    await faults;
    clearInterval(rssSampler);
    // A process that died or restarted during the run makes its numbers meaningless: say so.
    const unwell = shop.describe().filter((process) => process.state !== 'ready' || process.restarts > 0);
    if (unwell.length > 0) throw new Error(`lab shop processes did not stay up during the run: ${JSON.stringify(unwell)}`);
    // The payments breaker's refusals only: a shard breaker opened by an overloaded machine is not what this measures.
    const breakerRejections = sum(
      await scrape(shop.urls.apis, 'tenk_breaker_rejections_total'),
      (labels) => labels['breaker'] === 'payments',
    );
    return {
      ...load,
      timeline,
      ordersAvailable,
      paymentCallsDuringHang,
      breakerRejections,
      apiCpuDuringHangS: round(apiCpuDuringHangMs / 1000, 1),
      apiPeakRssMiB: round(apiPeakRss / 2 ** 20),
    };
  } finally {
    await shop?.stop();
    await queueRedis.stop();
  }
}

/** Half list pages, half product pages: what browsing shoppers ask for. */
function catalogRead(index: number, products: string[]): LoadRequest {
  if (index % 2 === 0) return { path: `/products?limit=20&page=${1 + (index % 25)}`, method: 'GET' };
  return { path: `/products/${products[index % products.length]}`, method: 'GET' };
}

/** One run's figures: the row the result keeps (as the median of the rounds). */
function rowOf(run: RunOutcome): Row {
  const { faultStartMs, faultEndMs } = run.timeline;
  const during = (sample: Sample) => sample.sentAtMs >= faultStartMs && sample.sentAtMs < faultEndMs;
  const calm = (sample: Sample) => sample.sentAtMs >= 1_000 && sample.sentAtMs < faultStartMs;
  const reads = run.samples.filter((sample) => sample.stream === 'reads');
  const orders = run.samples.filter((sample) => sample.stream === 'orders');
  const readsDuring = reads.filter(during);
  const ordersDuring = orders.filter(during);
  const failFast = timeToFailFast(orders, run.timeline);
  const recovery = recoveryTime(orders, run.timeline);
  const row: Row = {
    readsCalmP99Ms: round(
      percentile(
        reads.filter(calm).map((s) => s.latencyMs),
        99,
      ),
    ),
    readsHangP50Ms: round(
      percentile(
        readsDuring.map((s) => s.latencyMs),
        50,
      ),
    ),
    readsHangP99Ms: round(
      percentile(
        readsDuring.map((s) => s.latencyMs),
        99,
      ),
    ),
    readsHangErrorPct: errorPct(readsDuring),
    readsHangCount: readsDuring.length,
  };
  if (run.ordersAvailable) {
    Object.assign(row, {
      ordersHangP50Ms: round(
        percentile(
          ordersDuring.map((s) => s.latencyMs),
          50,
        ),
      ),
      ordersHangP99Ms: round(
        percentile(
          ordersDuring.map((s) => s.latencyMs),
          99,
        ),
      ),
      ordersHangErrorPct: errorPct(ordersDuring),
      ordersHang503: ordersDuring.filter((s) => s.status === 503).length,
      ordersHangCount: ordersDuring.length,
      ordersHangWaitedOver5s: ordersDuring.filter((s) => s.latencyMs > 5_000).length,
      timeToFailFastS: failFast === undefined ? 'never' : round(failFast / 1000, 1),
      recoveryS: recovery === undefined ? 'not within the run' : round(recovery / 1000, 1),
      paymentCallsDuringHang: run.paymentCallsDuringHang,
      breakerRejections: run.breakerRejections,
    });
  }
  row.apiCpuDuringHangS = run.apiCpuDuringHangS;
  row.apiPeakRssMiB = run.apiPeakRssMiB;
  row.unsentRequests = Object.values(run.unsent).reduce((sum, count) => sum + count, 0);
  row.readStatuses = statusCounts(reads);
  if (run.ordersAvailable) row.orderStatuses = statusCounts(orders);
  return row;
}

function report(
  runs: Record<Variant, RunOutcome[]>,
  seconds: { baselineS: number; hangS: number; recoveryS: number },
  rates: { reads: number; orders: number },
): LabResult {
  const measurements: LabResult['measurements'] = {};
  const charts: LabResult['charts'] = [
    { title: 'Orders: p99 while payment-sim hangs (median of the rounds)', unit: 'ms', bars: [], lowerIsBetter: true },
    { title: 'Orders placed during the hang that waited over 5 s for any answer', unit: 'orders', bars: [], lowerIsBetter: true },
    { title: 'Orders placed during the hang that failed', unit: '%', bars: [], lowerIsBetter: true },
    { title: 'Catalog reads (unrelated to payments): p99 while payment-sim hangs', unit: 'ms', bars: [], lowerIsBetter: true },
    { title: 'Recovery: from payment-sim answering to orders succeeding again', unit: 's', bars: [], lowerIsBetter: true },
  ];
  const ordersAvailable = VARIANTS.every((variant) => runs[variant].every((run) => run.ordersAvailable));
  for (const variant of VARIANTS) {
    const label = SETUPS[variant].short;
    const row: Row = { setup: SETUPS[variant].setup, ...summarize(runs[variant].map(rowOf)) };
    measurements[variant] = row;
    measurements[`${variant}: timeline`] = timeline(runs[variant][0]);
    if (ordersAvailable) {
      charts[0].bars.push({ label, value: Number(row.ordersHangP99Ms), series: label });
      charts[1].bars.push({ label, value: Number(row.ordersHangWaitedOver5s), series: label });
      charts[2].bars.push({ label, value: Number(row.ordersHangErrorPct), series: label });
      if (typeof row.recoveryS === 'number') charts[4].bars.push({ label, value: row.recoveryS, series: label });
    }
    charts[3].bars.push({ label, value: Number(row.readsHangP99Ms), series: label });
  }
  const none = measurements['without breakers'];
  const timeoutOnly = measurements['timeout only'];
  const withBreaker = measurements['with breakers'];
  const rounds = runs['with breakers'].length;
  const headline = ordersAvailable
    ? `during a ${seconds.hangS} s payment hang, timeout + breaker vs timeout only: order p99 ${quote(withBreaker, 'ordersHangP99Ms', 'ms')} vs ${quote(timeoutOnly, 'ordersHangP99Ms', 'ms')}, ` +
      `orders failed ${quote(withBreaker, 'ordersHangErrorPct', '%')} vs ${quote(timeoutOnly, 'ordersHangErrorPct', '%')}, failing fast ${quote(withBreaker, 'timeToFailFastS', 's')} into the hang; ` +
      `no protection: order p99 ${quote(none, 'ordersHangP99Ms', 'ms')} (${roundsNote(rounds)})`
    : `catalog p99 during a ${seconds.hangS} s payment hang: ${quote(withBreaker, 'readsHangP99Ms', 'ms')} with timeout + breaker vs ${quote(timeoutOnly, 'readsHangP99Ms', 'ms')} timeout only (POST /orders not available: no order load)`;
  return {
    headline,
    measurements,
    charts: charts.filter((chart) => chart.bars.length > 0),
    notes: [
      `open-loop load through the lab shop's balancer (2 api instances): ${rates.reads} catalog reads/s (list and product pages) + ${rates.orders} orders/s (10 shoppers, one product each)`,
      `${seconds.baselineS} s calm, then payment-sim hangs (accepts and never answers) for ${seconds.hangS} s, then ${seconds.recoveryS} s after; the client gives up after 60 s`,
      ...VARIANTS.map((variant) => `"${variant}" = ${SETUPS[variant].setup}`),
      'the payments policy defaults: 2 s timeout per try, open at 50% failures (or 80% calls slower than 1 s) over >= 10 calls in 10 s, 5 s open, 3 probes; retries never follow a timeout',
      `${rounds} round${rounds === 1 ? '' : 's'}, the three runs interleaved in each (no protection, timeout only, timeout + breaker), each on a fresh shop: every number is the median of the rounds, <key>_min and <key>_max its spread; each timeline is the first round's`,
      `time to fail fast: from the start of the hang to the first order refused (503) within ${FAST_MS} ms; recovery: from payment-sim answering again to the first ${BUCKET_MS} ms of arrivals with >= 90% of orders placed`,
    ],
  };
}

/** From the start of the hang to the first order refused fast: 503 (payments unavailable) within FAST_MS. */
function timeToFailFast(orders: Sample[], { faultStartMs, faultEndMs }: Timeline): number | undefined {
  const first = orders
    .filter(
      (sample) => sample.sentAtMs >= faultStartMs && sample.sentAtMs < faultEndMs && sample.status === 503 && sample.latencyMs < FAST_MS,
    )
    .reduce<number | undefined>(
      (earliest, sample) => (earliest === undefined || sample.sentAtMs < earliest ? sample.sentAtMs : earliest),
      undefined,
    );
  return first === undefined ? undefined : first - faultStartMs;
}

/** Per 5 s of arrivals: catalog p50/p99, order p50 and answers, to see where time went. */
function timeline(run: RunOutcome): Record<string, string> {
  const rows: Record<string, string> = {};
  for (let start = 0; start < run.timeline.endMs; start += 5_000) {
    const within = (sample: Sample) => sample.sentAtMs >= start && sample.sentAtMs < start + 5_000;
    const reads = run.samples.filter((sample) => sample.stream === 'reads' && within(sample)).map((sample) => sample.latencyMs);
    const orders = run.samples.filter((sample) => sample.stream === 'orders' && within(sample));
    const phase = start < run.timeline.faultStartMs ? 'calm' : start < run.timeline.faultEndMs ? 'hang' : 'after';
    rows[`${String(start / 1000).padStart(2, '0')}s ${phase}`] =
      `reads p50 ${round(percentile(reads, 50))} ms p99 ${round(percentile(reads, 99))} ms; orders p50 ${round(
        percentile(
          orders.map((sample) => sample.latencyMs),
          50,
        ),
      )} ms, ${statusCounts(orders)}`;
  }
  return rows;
}

function recoveryTime(orders: Sample[], { faultEndMs, endMs }: Timeline): number | undefined {
  for (const [start, bucket] of buckets(orders, faultEndMs, endMs)) {
    if (bucket.length > 0 && bucket.filter((sample) => sample.status >= 200 && sample.status < 300).length >= 0.9 * bucket.length)
      return start - faultEndMs;
  }
  return undefined;
}

function buckets(samples: Sample[], fromMs: number, toMs: number): Array<[number, Sample[]]> {
  const result: Array<[number, Sample[]]> = [];
  for (let start = fromMs; start < toMs; start += BUCKET_MS) {
    result.push([start, samples.filter((sample) => sample.sentAtMs >= start && sample.sentAtMs < start + BUCKET_MS)]);
  }
  return result;
}

const errorPct = (samples: Sample[]) =>
  samples.length === 0 ? 0 : round((100 * samples.filter((s) => s.status === 0 || s.status >= 500).length) / samples.length, 2);
const round = (value: number, digits = 0) => Math.round(value * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** payment-sim's admin API, with the lab shop's control token; a change always sends a JSON body ({} by default). */
async function adminCall(admin: { url: string; token: string }, method: string, path: string, body: unknown = {}): Promise<unknown> {
  const response = await request(
    `${admin.url}${path}`,
    method === 'GET' ? {} : { method: method as 'PUT', body: JSON.stringify(body), headers: controlHeaders(admin.token) },
  );
  const text = await response.body.text();
  if (response.statusCode >= 300) throw new Error(`payment-sim admin ${method} ${path}: ${response.statusCode} ${text}`);
  return JSON.parse(text) as unknown;
}

async function readSwitch(api: string): Promise<boolean> {
  const text = await (await request(`${api}/metrics`)).body.text();
  const line = text
    .split('\n')
    .find((candidate) => candidate.startsWith('tenk_pattern_switch{') && candidate.includes('switch="breakers"'));
  if (!line) throw new Error(`${api}/metrics has no tenk_pattern_switch for breakers`);
  return line.trim().endsWith(' 1');
}

/** Signs up shoppers and returns their session cookies. */
async function signUp(origin: string, count: number, tag: string): Promise<string[]> {
  const cookies: string[] = [];
  for (let i = 0; i < count; i++) {
    const email = `lab-breaker-${tag}-${Date.now().toString(36)}-${i}@example.com`;
    const response = await request(`${origin}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': newClientAddress() },
      body: JSON.stringify({ email, name: `Lab shopper ${i}`, password: 'lab shopper password' }),
    });
    const text = await response.body.text();
    const setCookie = ([] as string[]).concat(response.headers['set-cookie'] ?? []).find((line) => line.startsWith('tenk_session='));
    if (response.statusCode !== 201 || !setCookie) throw new Error(`POST /users answered ${response.statusCode}: ${text.slice(0, 200)}`);
    cookies.push(setCookie.split(';')[0]);
  }
  return cookies;
}

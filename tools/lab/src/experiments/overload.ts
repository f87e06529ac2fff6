import { createReadStream, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { request } from 'undici';
import type { Shop } from '@tenk/shop';
import { controlHeaders } from '@tenk/control-plane';
import type { Experiment, LabContext, LabResult } from '../experiment';
import { startLabShop, waitForFreeLabPorts } from '../lab-shop';
import { sampleProcess } from '../process-stats';
import { interleaved, summarize as medianOf, type Row } from '../repeats';
import type { Chart } from '../svg-chart';
import { scrape, sum } from './cache-lab-shop';
import { percentile, statusCounts } from './open-loop';
import {
  inFlightBound,
  round,
  bestWindowMean,
  closedLoopCapacity,
  runClosedLoop,
  runRamp,
  summarize,
  GENERATOR_BOUND_PCT,
  GENERATOR_LATE_MS,
  type Capacity,
  type GeneratorLoad,
  type LoadTarget,
  type RampStage,
  type Shot,
  type Summary,
} from './overload-load';
import { OverloadPinning } from './overload-pinning';
import { pinOption } from '../cpu-pinning';

const VARIANTS = ['off', 'on', 'adaptive'] as const;
type Variant = (typeof VARIANTS)[number];

/** What the `adaptive` variant adds to the shipped upstream block. */
const ADAPTIVE_LINE = 'adaptive_concurrency target=100ms min=2;';

const SETUPS: Record<Variant, string> = {
  off: "admission control and shedding off: the balancer without max_conns and queue (tenk.conf's lines taken out, then reloaded), the api with TENK_SHED=off",
  on: "admission control and shedding on, as npm start runs the shop: max_conns=64 per api instance and tenk.conf's queue, TENK_SHED on",
  adaptive: `as "on", plus an adaptive limit under max_conns (tenk.conf's line switched on: ${ADAPTIVE_LINE})`,
};

/** The ramp's stages, as multiples of the capacity measured just before. */
const RAMP = [0.5, 1, 1.5, 2, 3];
/** Browsing shoppers' request: the catalog's first page (cached), as in issue 15. */
const BROWSE = '/products?limit=20';
/**
 * Clients of the closed loop that measures the capacity: twice the api's slots (max_conns=64 on
 * each of the 2 instances), so with admission control on every slot stays busy while as many
 * wait in the balancer's queue, and a slot never idles between one client's answer and its next
 * request. Off, it is 128 requests in flight at each instance. (64 clients, the earlier
 * measure, were fewer than the slots, and their 6 s mean counted the shop's warm-up: they read
 * 1,501-2,585 2xx/s where the ramp then served up to ~2,900.)
 */
const CAPACITY_CLIENTS = 256;
/** The capacity is the best this many consecutive whole seconds of the capacity step (closedLoopCapacity). */
const CAPACITY_WINDOW_S = 3;
const CAPACITY_METHOD = `the higher of two measures of the most the shop sustained for ${CAPACITY_WINDOW_S} consecutive whole seconds (mean 2xx/s): in a closed loop of ${CAPACITY_CLIENTS} clients after a warm-up with as many (closedLoopCapacityPerS, which sets the ramp's rates), and in the ramp that follows (rampBest3sPerS: a shop still warming up in the closed loop serves more there); capacitySource says which`;
/** A shopper gives up on a page after this long. */
const CLIENT_TIMEOUT_MS = 5_000;

interface Settings {
  warmupS: number;
  capacityS: number;
  stageS: number;
  hammerS: number;
  hammerClients: number;
  rounds: number;
}

interface RunOutcome {
  /** The higher of the closed loop's capacity and the ramp's best window: what percentages are of. */
  capacityPerS: number;
  capacitySource: 'closed loop' | 'ramp';
  /** The closed loop's capacity (it sets the ramp's rates). */
  capacity: Capacity;
  /** The ramp's best CAPACITY_WINDOW_S consecutive seconds of goodput (2xx/s). */
  rampBest3sPerS: number;
  /** The ramp's best second of goodput (2xx/s): what the shop served at most, for comparison. */
  rampBestSecondPerS: number;
  stages: Summary[];
  unsent: number;
  /** What each phase cost the generator (the lab process): a phase past GENERATOR_BOUND_PCT measured the generator. */
  generator: { capacity: GeneratorLoad; ramp: RampStage[]; hammer: GeneratorLoad; polite: GeneratorLoad };
  hammer: Summary;
  /** The same crowd, each client waiting Retry-After (with jitter) when refused, as the storefront does. */
  polite: Summary;
  /** The balancer's limit on requests in flight to the api (sum over peers), each second of the ramp. */
  limits: number[];
  /** Goodput, p99 of successes, refusals and timeouts per second of the ramp. */
  timeline: Summary[];
  balancerRefused: Record<string, number>;
  /** The same phases as the balancer saw them (its access log): how long its 503s and 2xx took there. */
  atBalancer: Record<string, BalancerTimes>;
  apiShed: number;
  /** CPU (balancer, apis) per answer during the 2,000 clients, in µs. */
  balancerCpuUsPerAnswer: number;
  apiCpuUsPerAnswer: number;
}

/**
 * `npm run lab -- overload`: the lab shop's capacity for browsing (the best 3 s of a
 * closed loop of 256 clients, or of the ramp when that is higher), then an open-loop ramp
 * of browsing shoppers from half to three times it, then 2,000 clients hammering (each
 * sends again as soon as it is answered), first with admission control and shedding off,
 * then on. `--full`: longer stages and 3 interleaved rounds.
 */
export const overloadExperiment: Experiment = {
  name: 'overload',
  summary: 'browse ramp from 0.5x to 3x the measured capacity, then 2,000 hammering clients: admission control + shedding off vs on',
  async run(context: LabContext): Promise<LabResult> {
    const full = context.flag('full');
    const settings: Settings = {
      // The shop warms up (JIT, caches, pools) for several seconds under load: a 3 s warm-up
      // left the 6 s capacity step still climbing (1,334 to 2,616 2xx/s, second by second).
      warmupS: context.seconds(10, 1),
      capacityS: context.option('capacity', context.seconds(full ? 15 : 6, 2)),
      stageS: context.option('stage', context.seconds(full ? 20 : 6, 2)),
      hammerS: context.option('hammer', context.seconds(full ? 20 : 8, 2)),
      hammerClients: context.option('clients', context.quick ? 200 : 2_000),
      rounds: context.option('rounds', full ? 3 : 1),
    };
    context.log(
      `per variant: ${settings.capacityS} s capacity, ramp ${RAMP.join('/')}x of it for ${settings.stageS} s each, ${settings.hammerS} s of ${settings.hammerClients} clients; ${settings.rounds} round(s)`,
    );
    const pinning = OverloadPinning.start(context.config, pinOption(context.args));
    context.log(`CPU pinning: ${pinning.describe()}`);
    try {
      const runs = await interleaved(settings.rounds, VARIANTS, (variant) => measureRun(context, variant, settings, pinning), context.log);
      return report(runs, settings, pinning);
    } finally {
      pinning.restore();
    }
  },
};

async function measureRun(context: LabContext, variant: Variant, settings: Settings, pinning: OverloadPinning): Promise<RunOutcome> {
  await waitForFreeLabPorts(context, 15_000);
  let shop: Shop | undefined;
  try {
    const running = await startLabShop(context, {
      apiInstances: 2,
      components: ['payment-sim', 'api', 'balancer'],
      env: { TENK_SHED: variant === 'off' ? 'off' : 'on' },
    });
    shop = running;
    if (variant !== 'on') await rewriteBalancerConfig(running, variant);
    await pinning.pinRun(running, context.log);
    const target = (timeoutMs: number): LoadTarget => ({ origin: running.urls.shop, path: () => BROWSE, timeoutMs, addresses: 100 });

    await runClosedLoop(target(CLIENT_TIMEOUT_MS), CAPACITY_CLIENTS, settings.warmupS * 1000);
    const { shots: capacityShots, generator: capacityGenerator } = await runClosedLoop(
      target(CLIENT_TIMEOUT_MS),
      CAPACITY_CLIENTS,
      settings.capacityS * 1000,
    );
    const capacity = closedLoopCapacity(capacityShots, 0, settings.capacityS * 1000, CAPACITY_WINDOW_S);
    const capacityStep = summarize(capacityShots, 1000, settings.capacityS * 1000);
    context.log(
      `${variant}: capacity ${capacity.perS} 2xx/s (best ${capacity.windowS} s of ${CAPACITY_CLIENTS} clients; the step's mean ${capacity.stepMeanPerS}, per second ${capacity.perSecond.join(' ')}; p99 ${capacityStep.okP99Ms} ms; answers ${statusCounts(capacityShots)}); ${generatorSays(capacityGenerator)}`,
    );
    // A machine this busy may serve very little; only nothing at all means the shop is broken.
    if (capacity.perS < 5) throw new Error(`the lab shop served ${capacity.perS} 2xx/s at ${CAPACITY_CLIENTS} clients: something is wrong`);

    const rates = RAMP.map((factor) => Math.round(factor * capacity.perS));
    const stageMs = settings.stageS * 1000;
    const maxInFlight = inFlightBound(20_000);
    context.log(
      `${variant}: ramp ${rates.join(', ')} requests/s (at most ${maxInFlight} open at once; past it an arrival is counted unsent)`,
    );
    const limits: number[] = [];
    const sampler = setInterval(() => {
      void admissionOf(running).then(
        (admission) => limits.push(admission?.limit ?? 0),
        () => limits.push(-1),
      );
    }, 1_000);
    const log = running.process('balancer').spec.logFile;
    // The lab shop's log grows across runs: only what this variant appends is read.
    const logFrom = statSync(log).size;
    const rampFrom = Date.now();
    const ramp = await runRamp(target(CLIENT_TIMEOUT_MS), rates, stageMs, maxInFlight).finally(() => clearInterval(sampler));
    // Each stage by when its requests were sent (its answers may end in the next one).
    const stages = rates.map((_, i) => summarize(ramp.shots, i * stageMs + 1000, (i + 1) * stageMs, true));
    const timeline = perSecond(ramp.shots, rates.length * stageMs);
    for (const [i, stage] of ramp.stages.entries())
      context.log(
        `${variant}: ramp ${RAMP[i]}x (${rates[i]}/s): offered ${stage.offeredPerS}/s, ${stage.unsent} unsent, ticks up to ${stage.maxTickGapMs} ms apart, ${stages[i].goodputPerS} 2xx/s, p99 ${stages[i].okP99Ms} ms; ${generatorSays(stage)}`,
      );

    const rampUntil = Date.now();
    const pids = shopPids(shop);
    const cpuBefore = cpuMs(pids);
    const hammerFrom = Date.now();
    const { shots: hammerShots, generator: hammerGenerator } = await runClosedLoop(
      target(CLIENT_TIMEOUT_MS),
      settings.hammerClients,
      settings.hammerS * 1000,
    );
    const cpuAfter = cpuMs(pids);
    const hammerUntil = Date.now();
    const hammer = summarize(hammerShots, 1000, settings.hammerS * 1000);
    context.log(`${variant}: ${settings.hammerClients} clients: ${JSON.stringify(hammer)}; ${generatorSays(hammerGenerator)}`);
    const politeFrom = Date.now();
    const { shots: politeShots, generator: politeGenerator } = await runClosedLoop(
      target(CLIENT_TIMEOUT_MS),
      settings.hammerClients,
      settings.hammerS * 1000,
      true,
    );
    const polite = summarize(politeShots, 1000, settings.hammerS * 1000);
    const politeUntil = Date.now();
    const [rampTimes, clientTimes, politeTimes] = await balancerTimes(log, logFrom, [
      [rampFrom + 1000, rampUntil],
      [hammerFrom + 1000, hammerUntil],
      [politeFrom + 1000, politeUntil],
    ]);
    const atBalancer = { ramp: rampTimes, clients: clientTimes, polite: politeTimes };
    context.log(
      `${variant}: ${settings.hammerClients} clients honouring Retry-After: ${JSON.stringify(polite)}; ${generatorSays(politeGenerator)}`,
    );

    const unwell = shop.describe().filter((process) => process.state !== 'ready' || process.restarts > 0);
    if (unwell.length > 0) throw new Error(`lab shop processes did not stay up during the run: ${JSON.stringify(unwell)}`);
    const refused = await scrape([balancerAdmin(shop)], 'tenk_balancer_upstream_refused_total');
    const rampBest3sPerS = bestWindowMean(
      timeline.map((second) => second.goodputPerS),
      CAPACITY_WINDOW_S,
    );
    return {
      capacityPerS: Math.max(capacity.perS, rampBest3sPerS),
      capacitySource: rampBest3sPerS > capacity.perS ? 'ramp' : 'closed loop',
      capacity,
      rampBest3sPerS,
      rampBestSecondPerS: Math.max(0, ...timeline.map((second) => second.goodputPerS)),
      stages,
      unsent: ramp.unsent,
      generator: { capacity: capacityGenerator, ramp: ramp.stages, hammer: hammerGenerator, polite: politeGenerator },
      hammer,
      polite,
      atBalancer,
      limits,
      timeline,
      balancerRefused: Object.fromEntries(refused.map((sample) => [sample.labels['reason'] ?? '?', sample.value])),
      apiShed: sum(await scrape(shop.urls.apis, 'tenk_api_shed_total'), () => true),
      balancerCpuUsPerAnswer: round(((cpuAfter.balancer - cpuBefore.balancer) * 1000) / Math.max(1, hammerShots.length)),
      apiCpuUsPerAnswer: round(((cpuAfter.api - cpuBefore.api) * 1000) / Math.max(1, hammerShots.length)),
    };
  } finally {
    pinning.releaseStack();
    await shop?.stop();
  }
}

/** The generator's CPU in a phase, and a warning not to quote it when it was the bottleneck. */
function generatorSays(load: GeneratorLoad): string {
  return `generator CPU ${load.cpuPct}% of a core${load.generatorBound ? ' - GENERATOR-BOUND (its core busy, or its ticks late): this phase measured the load generator, do not quote it' : ''}`;
}

/** The phases whose generator was past GENERATOR_BOUND_PCT: `none`, or e.g. `x2, x3, clients`. */
function generatorBoundPhases(run: RunOutcome): string {
  const bound = [
    ...(run.generator.capacity.generatorBound ? ['capacity'] : []),
    ...run.generator.ramp.flatMap((stage, i) => (stage.generatorBound ? [`x${RAMP[i]}`] : [])),
    ...(run.generator.hammer.generatorBound ? ['clients'] : []),
    ...(run.generator.polite.generatorBound ? ['polite'] : []),
  ];
  return bound.length === 0 ? 'none' : bound.join(', ');
}

interface BalancerTimes {
  /** Access-log lines of the phase (the log drops lines when its reader lags: a sample). */
  lines: number;
  /** The 503s those lines stand for (the balancer logs one in `sample_rate` of admission control's refusals). */
  refusals: number;
  refusalP50Ms: number;
  refusalP99Ms: number;
  okP99Ms: number;
}

/**
 * The balancer's own view of each phase, from its JSON access log (request_time_ms: from the
 * request's arrival to its answer, without the load generator's lag on this busy machine).
 * Reads the log once, as a stream, from `fromByte` (where this variant's lines begin: the file
 * holds every earlier run's too, past what one string can hold).
 */
async function balancerTimes(logFile: string, fromByte: number, windows: Array<[number, number]>): Promise<BalancerTimes[]> {
  const found = windows.map(() => ({ lines: 0, refused: 0, refusals: [] as number[], ok: [] as number[] }));
  const lines = createInterface({ input: createReadStream(logFile, { start: fromByte }), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.includes('"msg":"access"')) continue;
    const entry = JSON.parse(line) as { time: string; status: number; request_time_ms: number; sample_rate?: number };
    const at = Date.parse(entry.time);
    const index = windows.findIndex(([from, to]) => at >= from && at < to);
    if (index === -1) continue;
    const window = found[index];
    window.lines++;
    if (entry.status === 503) {
      // Admission control's refusals are logged one in sample_rate (a uniform sample: the times are theirs).
      window.refused += entry.sample_rate ?? 1;
      window.refusals.push(entry.request_time_ms);
    } else if (entry.status >= 200 && entry.status < 300) window.ok.push(entry.request_time_ms);
  }
  return found.map(({ lines: count, refused, refusals, ok }) => phaseTimes(count, refused, refusals, ok));
}

function phaseTimes(lines: number, refused: number, refusals: number[], ok: number[]): BalancerTimes {
  return {
    lines,
    refusals: refused,
    refusalP50Ms: round(percentile(refusals, 50), 2),
    refusalP99Ms: round(percentile(refusals, 99), 2),
    okP99Ms: round(percentile(ok, 99)),
  };
}

/** Per second of the ramp, by when answers ended. */
function perSecond(shots: readonly Shot[], totalMs: number): Summary[] {
  const seconds: Summary[] = [];
  for (let t = 0; t * 1000 < totalMs; t++) seconds.push(summarize(shots, t * 1000, (t + 1) * 1000));
  return seconds;
}

/**
 * `off`: takes max_conns and the queue out of the lab shop's balancer config; `adaptive`: adds
 * ADAPTIVE_LINE to the api upstream. Then reloads the balancer and checks it took.
 */
async function rewriteBalancerConfig(shop: Shop, variant: Exclude<Variant, 'on'>): Promise<void> {
  const dir = path.join(shop.config.paths.run, 'balancer-lab');
  const servers = path.join(dir, 'api-servers.conf');
  const main = path.join(dir, 'tenk.conf');
  if (variant === 'off') {
    writeFileSync(servers, readFileSync(servers, 'utf8').replace(/ max_conns=\d+/g, ''));
    writeFileSync(main, readFileSync(main, 'utf8').replace(/^\s*queue\s+[^;]*;/m, ''));
  } else {
    const text = readFileSync(main, 'utf8').replace(/^(\s*)(#\s*)?adaptive_concurrency\s+[^;]*;/m, '');
    writeFileSync(main, text.replace(/^(\s*)(queue\s+[^;]*;)/m, `$1$2\n$1${ADAPTIVE_LINE}`));
  }
  const response = await request(`${balancerAdmin(shop)}/reload`, {
    method: 'POST',
    headers: controlHeaders(shop.controlToken),
    body: '{}',
  });
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`balancer reload for "${variant}": ${response.statusCode} ${text}`);
  const admission = await admissionOf(shop);
  const took = variant === 'off' ? admission?.queue === null && admission.limit === 0 : admission?.adaptive != null;
  if (!took) throw new Error(`the balancer's api upstream after the reload for "${variant}": ${JSON.stringify(admission)}`);
}

interface Admission {
  inFlight: number;
  limit: number;
  queue: unknown;
  adaptive: unknown;
}

/** The balancer's admission status for the api upstream. */
async function admissionOf(shop: Shop): Promise<Admission | undefined> {
  const response = await request(`${balancerAdmin(shop)}/status`, { headers: controlHeaders(shop.controlToken) });
  const status = (await response.body.json()) as { upstreams?: Array<{ name: string; admission?: Admission }> };
  return status.upstreams?.find((upstream) => upstream.name === 'api')?.admission;
}

function balancerAdmin(shop: Shop): string {
  return `http://127.0.0.1:${shop.config.services.balancerAdminPort}`;
}

function shopPids(shop: Shop): { balancer: number[]; api: number[] } {
  const pids = (prefix: string) =>
    [...shop.processes.values()].filter((p) => p.spec.name.startsWith(prefix)).flatMap((p) => (p.pid === undefined ? [] : [p.pid]));
  return { balancer: pids('balancer'), api: pids('api-') };
}

function cpuMs(pids: { balancer: number[]; api: number[] }): { balancer: number; api: number } {
  const total = (list: number[]) => list.reduce((sum, pid) => sum + sampleProcess(pid).cpuMs, 0);
  return { balancer: total(pids.balancer), api: total(pids.api) };
}

function rowOf(run: RunOutcome): Row {
  const row: Row = {
    capacityPerS: run.capacityPerS,
    capacitySource: run.capacitySource,
    closedLoopCapacityPerS: run.capacity.perS,
    rampBest3sPerS: run.rampBest3sPerS,
    capacityStepMeanPerS: run.capacity.stepMeanPerS,
    rampBestSecondPerS: run.rampBestSecondPerS,
    capacityGeneratorCpuPct: run.generator.capacity.cpuPct,
    rampUnsent: run.unsent,
    generatorBound: generatorBoundPhases(run),
  };
  for (const [i, stage] of run.stages.entries()) {
    const x = `x${RAMP[i]}`.replace('.', '_');
    row[`${x}GoodputPerS`] = stage.goodputPerS;
    row[`${x}GoodputPct`] = round((100 * stage.goodputPerS) / run.capacityPerS);
    row[`${x}OkP50Ms`] = stage.okP50Ms;
    row[`${x}OkP99Ms`] = stage.okP99Ms;
    row[`${x}RefusedPct`] = stage.refusedPct;
    row[`${x}RefusalP99Ms`] = stage.refusalP99Ms;
    row[`${x}Timeouts`] = stage.timeouts;
    row[`${x}OtherErrors`] = stage.otherErrors;
    row[`${x}OfferedPerS`] = run.generator.ramp[i]?.offeredPerS ?? 0;
    row[`${x}Unsent`] = run.generator.ramp[i]?.unsent ?? 0;
    row[`${x}GeneratorCpuPct`] = run.generator.ramp[i]?.cpuPct ?? 0;
    row[`${x}GeneratorMaxTickGapMs`] = run.generator.ramp[i]?.maxTickGapMs ?? 0;
  }
  row.clientsGoodputPerS = run.hammer.goodputPerS;
  row.clientsGoodputPct = round((100 * run.hammer.goodputPerS) / run.capacityPerS);
  row.clientsOkP50Ms = run.hammer.okP50Ms;
  row.clientsOkP99Ms = run.hammer.okP99Ms;
  row.clientsRefusedPct = run.hammer.refusedPct;
  row.clientsRefusalP50Ms = run.hammer.refusalP50Ms;
  row.clientsRefusalP99Ms = run.hammer.refusalP99Ms;
  row.clientsTimeouts = run.hammer.timeouts;
  row.clientsOtherErrors = run.hammer.otherErrors;
  row.clientsGeneratorCpuPct = run.generator.hammer.cpuPct;
  row.politeGoodputPerS = run.polite.goodputPerS;
  row.politeGoodputPct = round((100 * run.polite.goodputPerS) / run.capacityPerS);
  row.politeOkP50Ms = run.polite.okP50Ms;
  row.politeOkP99Ms = run.polite.okP99Ms;
  row.politeRefusedPct = run.polite.refusedPct;
  row.politeRefusalP99Ms = run.polite.refusalP99Ms;
  row.politeTimeouts = run.polite.timeouts;
  row.politeOtherErrors = run.polite.otherErrors;
  row.politeGeneratorCpuPct = run.generator.polite.cpuPct;
  row.clientsBalancerCpuUsPerAnswer = run.balancerCpuUsPerAnswer;
  row.clientsApiCpuUsPerAnswer = run.apiCpuUsPerAnswer;
  for (const [reason, count] of Object.entries(run.balancerRefused)) row[`balancerRefused_${reason}`] = count;
  row.apiShed = run.apiShed;
  for (const [phase, times] of Object.entries(run.atBalancer)) {
    row[`${phase}AtBalancerRefusalP50Ms`] = times.refusalP50Ms;
    row[`${phase}AtBalancerRefusalP99Ms`] = times.refusalP99Ms;
    row[`${phase}AtBalancerOkP99Ms`] = times.okP99Ms;
    row[`${phase}AtBalancerLines`] = times.lines;
  }
  return row;
}

function report(runs: Record<Variant, RunOutcome[]>, settings: Settings, pinning: OverloadPinning): LabResult {
  const rows = Object.fromEntries(VARIANTS.map((variant) => [variant, medianOf(runs[variant].map(rowOf))])) as Record<Variant, Row>;
  const measurements: Record<string, Row> = {
    pinning: pinning.record(),
    capacity: { method: CAPACITY_METHOD, clients: CAPACITY_CLIENTS, windowS: CAPACITY_WINDOW_S, stepS: settings.capacityS },
  };
  for (const variant of VARIANTS) measurements[variant] = { setup: SETUPS[variant], ...rows[variant] };
  // The first round's ramp, second by second: how it unfolds.
  for (const variant of VARIANTS) {
    const timeline = runs[variant][0].timeline;
    for (const key of ['goodputPerS', 'okP99Ms', 'refusedPct', 'refusalP99Ms', 'timeouts'] as const)
      measurements[`${variant} ramp per second: ${key}`] = Object.fromEntries(timeline.map((second, t) => [`t${t}`, second[key]]));
    measurements[`${variant} ramp per second: limit`] = Object.fromEntries(runs[variant][0].limits.map((limit, t) => [`t${t}`, limit]));
  }
  const n = (variant: Variant, key: string) => Number(rows[variant][key]);
  const stageLabels = RAMP.map((factor) => `${factor}x`);
  const bars = (key: (x: string) => string, label: (i: number) => string): Chart['bars'] =>
    VARIANTS.flatMap((variant) =>
      RAMP.map((factor, i) => ({ label: label(i), value: n(variant, key(`x${factor}`.replace('.', '_'))), series: variant })),
    );
  const charts: Chart[] = [
    {
      title: `Goodput (2xx/s) as % of the measured capacity, by load ({pinning.short()})`,
      unit: '%',
      bars: [
        ...bars(
          (x) => `${x}GoodputPct`,
          (i) => `ramp ${stageLabels[i]}`,
        ),
        ...VARIANTS.map((variant) => ({
          label: `${settings.hammerClients} clients`,
          value: n(variant, 'clientsGoodputPct'),
          series: variant,
        })),
        ...VARIANTS.map((variant) => ({
          label: `${settings.hammerClients} polite clients`,
          value: n(variant, 'politeGoodputPct'),
          series: variant,
        })),
      ],
    },
    {
      title: `p99 of successful responses ({pinning.short()})`,
      unit: 'ms',
      lowerIsBetter: true,
      bars: [
        ...bars(
          (x) => `${x}OkP99Ms`,
          (i) => `ramp ${stageLabels[i]}`,
        ),
        ...VARIANTS.map((variant) => ({
          label: `${settings.hammerClients} clients`,
          value: n(variant, 'clientsOkP99Ms'),
          series: variant,
        })),
        ...VARIANTS.map((variant) => ({
          label: `${settings.hammerClients} polite clients`,
          value: n(variant, 'politeOkP99Ms'),
          series: variant,
        })),
      ],
    },
    {
      title: `Timeouts and errors other than refusals ({pinning.short()})`,
      unit: '',
      lowerIsBetter: true,
      bars: [
        ...bars(
          (x) => `${x}Timeouts`,
          (i) => `ramp ${stageLabels[i]}`,
        ),
        ...VARIANTS.map((variant) => ({
          label: `${settings.hammerClients} clients`,
          value: n(variant, 'clientsTimeouts') + n(variant, 'clientsOtherErrors'),
          series: variant,
        })),
      ],
    },
    {
      title: `p99 of refusals (503 + Retry-After) ({pinning.short()})`,
      unit: 'ms',
      lowerIsBetter: true,
      bars: [
        ...bars(
          (x) => `${x}RefusalP99Ms`,
          (i) => `ramp ${stageLabels[i]}`,
        ),
        ...VARIANTS.map((variant) => ({
          label: `${settings.hammerClients} clients`,
          value: n(variant, 'clientsRefusalP99Ms'),
          series: variant,
        })),
      ],
    },
  ];
  const bound = VARIANTS.filter((variant) => rows[variant]['generatorBound'] !== 'none').map(
    (variant) => `${variant}: ${rows[variant]['generatorBound']}`,
  );
  const say = (key: string, unit = '') => VARIANTS.map((variant) => `${rows[variant][key]}${unit} ${variant}`).join(', ');
  return {
    headline: `goodput at 2x capacity: ${say('x2GoodputPct', '%')} of capacity (p99 of successes ${say('x2OkP99Ms', ' ms')}); with ${settings.hammerClients} clients honouring Retry-After ${say('politeGoodputPct', '%')}, hammering ${say('clientsGoodputPct', '%')}; ${pinning.short()}${bound.length > 0 ? `; GENERATOR-BOUND phases (${bound.join('; ')})` : ''}`,
    measurements,
    charts,
    details: {
      pinning: pinning.record(),
      // Per variant and round: what the generator offered and what it cost it, phase by phase.
      generator: Object.fromEntries(
        VARIANTS.map((variant) => [
          variant,
          runs[variant].map((run) => ({
            capacity: { goodputPerS: run.capacity.perS, ...run.capacity, ...run.generator.capacity },
            ramp: run.generator.ramp.map((stage, i) => ({
              factor: RAMP[i],
              ratePerS: Math.round(RAMP[i] * run.capacity.perS),
              ...stage,
              goodputPerS: run.stages[i]?.goodputPerS,
            })),
            clients: { goodputPerS: run.hammer.goodputPerS, ...run.generator.hammer },
            polite: { goodputPerS: run.polite.goodputPerS, ...run.generator.polite },
          })),
        ]),
      ),
    },
    notes: [
      `Per variant, a fresh lab shop (2 api instances behind the balancer): ${settings.warmupS} s warm-up, then its capacity for GET ${BROWSE} measured in the same run (${CAPACITY_METHOD}; the closed loop's step lasts ${settings.capacityS} s; capacityStepMeanPerS is its whole mean, rampBestSecondPerS the ramp's best single second, for comparison), then an open-loop ramp at ${RAMP.join(', ')} times that capacity for ${settings.stageS} s each (arrivals at a fixed rate whatever the answers; each stage's first second left out), then ${settings.hammerClients} clients for ${settings.hammerS} s, each sending again as soon as it is answered (no Retry-After honoured: the worst crowd), then ${settings.hammerClients} polite clients for as long, each waiting Retry-After (stretched by up to half at random) when refused, as the storefront does. Clients give up after ${CLIENT_TIMEOUT_MS / 1000} s (a timeout).`,
      `*AtBalancer*: the same phases from the balancer's access log (request_time_ms, arrival to answer at the balancer, second-resolution timestamps, the first second of each phase left out; the log drops lines while its reader lags, and the balancer writes one line for every 10 of admission control's refusals ("sample_rate":10), so a sample): refusal times there without the load generator's own delays on this busy machine.`,
      `Refusals are 503 (and 429) answers, all with Retry-After; "other errors" are every other non-2xx answer; timeouts are requests with no answer within ${CLIENT_TIMEOUT_MS / 1000} s.`,
      pinning.pinned
        ? `CPU pinning: ${pinning.describe()}. The load generator runs in the lab's own process: pinned apart, its work does not come out of the shop's CPU and the shop's does not delay its clock, so the numbers are the shop's (on its CPU(s)), not the generator's.`
        : `CPU pinning ${pinning.describe()}: the load generator in the lab's own process shares the CPUs with the shop, so the higher stages cost it CPU the shop would otherwise have and delay its clock; goodput is compared with the capacity measured by the same generator minutes before.`,
      `generatorBound lists the phases in which the generator (the lab process) used more than ${GENERATOR_BOUND_PCT}% of a core (*GeneratorCpuPct), or (ramp stages) two of its 5 ms ticks came more than ${GENERATOR_LATE_MS} ms apart (*MaxTickGapMs: another process had its core): there it may have sent late and read answers late, so those phases measured the generator, not the shop; do not quote them. *OfferedPerS: arrivals actually sent per second; *Unsent: arrivals not sent because ${'the bound on open requests'} was reached (a shop that does not answer, not the generator's CPU).`,
      settings.rounds === 1
        ? 'One round (the default, to keep the run to a few minutes): npm run lab -- overload --full runs longer stages and 3 interleaved rounds.'
        : `${settings.rounds} interleaved rounds (${VARIANTS.join(', ')}, then again); each figure is the median with its spread (_min, _max).`,
      ...VARIANTS.map((variant) => `${variant}: ${SETUPS[variant]}.`),
    ],
  };
}

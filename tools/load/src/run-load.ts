import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { DEFAULT_PORTS, loadConfig } from '@tenk/config';
import { commandLine, gitState, machineDescription, QUIET_CORES, stackVersions } from '@tenk/lab';
import type { LoadOptions } from './cli/options';
import { LoadRunner } from './engine/load-runner';
import { Random } from './engine/random';
import { linkSlowRequests } from './report/slow-traces';
import { RunStats, type Phase } from './engine/stats';
import { Target } from './engine/target';
import { describeThinkTime, meanThinkTime } from './engine/think-time';
import { MonitorClient } from './monitor/monitor-client';
import type { MemorySnapshot } from './monitor/process-monitor';
import { infraGroups, launchedGroups, scannedShopGroups, type ProcessGroup } from './monitor/shop-processes';
import {
  cpuDuringHold,
  describeQuietWindows,
  explainErrors,
  findLimit,
  latencySummary,
  machineCpuDuringHold,
  quietWindows,
  targetChecks,
} from './report/analysis';
import { formatSummary } from './report/console-summary';
import { renderHtmlReport } from './report/html-report';
import type { EndpointResult, LoadResult, TimelinePoint } from './report/load-result';
import { ProgressDisplay, type OutputStream } from './report/progress';
import { Catalog, discoverCatalog } from './scenarios/catalog';
import type { ScenarioContext } from './scenarios/scenario';
import { assignScenarios } from './scenarios';
import { testUpload } from './scenarios/test-video';
import { LaunchedShop } from './shop-launcher';

export interface RunIo {
  /** Progress and messages (default: stderr). */
  stream: OutputStream;
  tty: boolean;
  /** Stop early (Ctrl-C): the run drains and the report is still written. */
  onStopRequest?(stop: () => void): void;
}

export interface RunOutput {
  result: LoadResult;
  json: string;
  html: string;
  summary: string;
}

/** Lets the shop settle after start (or after the previous run) before the idle snapshot. */
const SETTLE_MS = 2_000;

/**
 * One load test from start to end: the shop (started here with --start-shop), what the users
 * need (the catalog, a test video), the process monitor and its idle snapshot, the run with
 * its progress line, the memory snapshot at full load, then the JSON and HTML reports.
 */
export async function runLoad(options: LoadOptions, io: RunIo): Promise<RunOutput> {
  const log = (line: string) => io.stream.write(`${line}\n`);
  const config = loadConfig();
  const git = gitState();
  const shop = options.startShop
    ? await LaunchedShop.start({ apiInstances: options.apiInstances, env: options.shopEnv }, (line) => log(line))
    : null;
  const url = shop?.url ?? options.url;
  const target = new Target({
    url,
    clientIps: options.clientIps,
    connectionsPerIp: options.connectionsPerIp,
    timeoutMs: options.timeoutMs,
  });
  let monitor: MonitorClient | null = null;
  try {
    const notes: string[] = [];
    if (options.clientIps > 1 && target.clientIps === 1)
      notes.push(`${url} is not this machine: all users share one client address (--client-ips applies to loopback targets only).`);
    const getJson = async (pathname: string): Promise<unknown> => {
      const response = await request(new URL(target.path(pathname), target.url), {
        dispatcher: target.dispatcherFor(Math.floor(Math.random() * target.clientIps)),
        headersTimeout: 30_000,
      });
      const text = await response.body.text();
      if (response.statusCode !== 200) throw new Error(`GET ${pathname} answered ${response.statusCode}: ${text.slice(0, 200)}`);
      return JSON.parse(text) as unknown;
    };
    let products;
    try {
      products = await discoverCatalog(getJson, options.maxProducts);
    } catch (error) {
      throw new Error(
        `cannot read the catalog at ${url} (${error instanceof Error ? error.message : String(error)}): is the shop running? Start one with --start-shop, or npm start and --url http://127.0.0.1:8080`,
      );
    }
    const random = new Random(options.seed);
    const catalog = new Catalog(products, random, options.zipfExponent);
    const needsUpload = options.mix.some((entry) => entry.scenario.needsUpload);
    const upload = needsUpload ? testUpload(path.join(config.paths.cache, 'load'), options.uploadEncoding) : null;
    log(
      `catalog: ${catalog.size.toLocaleString('en-US')} products, ${catalog.categories.length} categories, ${catalog.searchTerms} search terms${upload ? `; test upload ${upload.videoBytes.toLocaleString('en-US')} bytes of video` : ''}`,
    );

    const kinds = new Map<string, 'shop' | 'harness'>();
    let idle: MemorySnapshot | null = null;
    if (options.monitor) {
      const apps = shop
        ? launchedGroups(shop.pids)
        : Target.spreadsFor(url)
          ? scannedShopGroups(config.paths.root, Number(target.url.port || 80), DEFAULT_PORTS.balancer)
          : [];
      const groups: ProcessGroup[] = [...infraGroups(config), ...apps, { name: 'load generator', kind: 'harness', rootPid: process.pid }];
      if (shop) groups.push({ name: 'lab shop launcher', kind: 'harness', rootPid: shop.hostPid });
      if (apps.length === 0)
        notes.push(
          `No shop processes (api, balancer, workers) were found for ${url}: memory and CPU cover the local stack only, with every client's database backends.`,
        );
      monitor = await MonitorClient.start(groups, { attributeBackends: apps.length > 0 });
      for (const group of monitor.groups) kinds.set(group.name, group.kind);
      log(`watching ${monitor.groups.length} process groups: ${monitor.groups.map((group) => group.name).join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      idle = await monitor.snapshot('idle');
    }

    const expected = Math.round(options.vus / (meanThinkTime(options.think) / 1_000 + 0.01));
    log(
      `running ${options.scenario}: ${options.vus.toLocaleString('en-US')} users over ${target.clientIps} client addresses, ramp ${options.rampMs / 1_000} s, hold ${options.holdMs / 1_000} s; think ${describeThinkTime(options.think)}: about ${expected.toLocaleString('en-US')} requests/s at full load if the shop keeps up`,
    );

    const stats = new RunStats();
    const started = performance.now();
    const context: ScenarioContext = {
      stats,
      random,
      think: options.think,
      uploadThink: options.uploadThink,
      catalog,
      upload,
      runId: `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`,
      now: () => performance.now() - started,
    };
    const assigned = assignScenarios(options.mix, options.vus);
    const timeline: TimelinePoint[] = [];
    const progress = new ProgressDisplay({ stream: io.stream, tty: io.tty, intervalMs: options.progressIntervalMs, vus: options.vus });
    let load: Promise<MemorySnapshot> | null = null;
    let peakRss: number | null = null;
    let peakVus = 0;
    const loadBefore = os.loadavg().map((value) => Math.round(value * 100) / 100);
    const runner = new LoadRunner({
      vus: options.vus,
      rampMs: options.rampMs,
      holdMs: options.holdMs,
      drainMs: Math.min(options.timeoutMs, 30_000),
      stats,
      dispatcherFor: (id) => target.dispatcherFor(id),
      behaviour: (id) => assigned[id].behaviour(id, context),
      onWindow: (window) => {
        const point: TimelinePoint = { ...window };
        const sample = monitor?.latest;
        if (sample) {
          Object.assign(point, {
            cpu: sample.groups,
            machineCpu: sample.machine,
            otherCpu: sample.other,
            shopRssBytes: sample.shopRssBytes,
          });
          peakRss = Math.max(peakRss ?? 0, sample.shopRssBytes);
        }
        peakVus = Math.max(peakVus, window.vus);
        timeline.push(point);
        progress.update(point);
      },
      onPhase: (phase: Phase) => {
        if (phase === 'drain' && monitor) load = monitor.snapshot('load');
        if (phase !== 'ramp')
          progress.log(
            `-- ${phase === 'hold' ? `all ${options.vus.toLocaleString('en-US')} users in: holding for ${options.holdMs / 1_000} s` : 'stopping: waiting for the last responses'}`,
          );
      },
    });
    io.onStopRequest?.(() => runner.stop());
    const timing = await runner.run();
    progress.finish();
    const loadSnapshot = load === null ? null : await (load as Promise<MemorySnapshot>);
    const loadAfter = os.loadavg().map((value) => Math.round(value * 100) / 100);

    const result = buildResult({
      options,
      url,
      shop,
      stats,
      timing,
      timeline,
      catalog,
      uploadBytes: upload?.videoBytes ?? null,
      idle,
      load: loadSnapshot,
      peakRss,
      peakVus,
      kinds,
      notes,
      loadBefore,
      loadAfter,
    });
    result.slowest = await linkSlowRequests(stats.slowest.list(), config);
    const other = result.conditions.otherCpuDuringHold;
    result.run = {
      ...git,
      command: commandLine('load'),
      versions: await stackVersions(config),
      quiet: other === null ? null : other <= QUIET_CORES * 100,
    };
    if (result.run.quiet === false)
      result.notes.push(
        `Not a quiet machine: other work used ${other}% of a core on average during the hold (quiet is <= ${QUIET_CORES * 100}%); rerun on a quiet machine before quoting these numbers.`,
      );
    if (git.dirty) result.notes.push(`Measured with uncommitted changes on top of ${git.commit?.slice(0, 12) ?? 'an unknown commit'}.`);
    await mkdir(options.outDir, { recursive: true });
    const json = path.join(options.outDir, `${result.name}.json`);
    const html = path.join(options.outDir, `${result.name}.html`);
    await writeFile(json, `${JSON.stringify(result, null, 1)}\n`);
    await writeFile(html, renderHtmlReport(result));
    return { result, json, html, summary: formatSummary(result) };
  } finally {
    await monitor?.stop();
    await target.close();
    if (shop) {
      log('stopping the lab shop');
      await shop.stop();
    }
  }
}

interface ResultInput {
  options: LoadOptions;
  url: string;
  shop: LaunchedShop | null;
  stats: RunStats;
  timing: Awaited<ReturnType<LoadRunner['run']>>;
  timeline: TimelinePoint[];
  catalog: Catalog;
  uploadBytes: number | null;
  idle: MemorySnapshot | null;
  load: MemorySnapshot | null;
  peakRss: number | null;
  peakVus: number;
  kinds: Map<string, 'shop' | 'harness'>;
  notes: string[];
  loadBefore: number[];
  loadAfter: number[];
}

export function buildResult(input: ResultInput): LoadResult {
  const { options, stats, timing, timeline } = input;
  const holdSeconds = Math.round(timing.holdMs / 100) / 10;
  const perSecond = (count: number) => (holdSeconds > 0 ? Math.round((count / holdSeconds) * 10) / 10 : 0);
  const endpoints: EndpointResult[] = [...stats.endpoints.values()]
    .filter((endpoint) => endpoint.all.requests + endpoint.all.notDeployed > 0)
    .sort((a, b) => b.all.requests + b.all.notDeployed - (a.all.requests + a.all.notDeployed))
    .map((endpoint) => ({
      name: endpoint.name,
      optional: endpoint.optional,
      deployed: endpoint.deployed,
      requests: endpoint.all.requests,
      errors: endpoint.all.errors,
      notDeployed: endpoint.all.notDeployed,
      statuses: Object.fromEntries([...endpoint.all.statuses].sort((a, b) => b[1] - a[1])),
      failures: Object.fromEntries([...endpoint.all.failures].sort((a, b) => b[1] - a[1])),
      throughput: perSecond(endpoint.hold.requests),
      latency: latencySummary(endpoint.hold.histogram),
      latencyAll: latencySummary(endpoint.all.histogram),
      errorSamples: Object.fromEntries(endpoint.samples),
    }));
  const cpu = cpuDuringHold(timeline, input.kinds);
  const machineCpu = machineCpuDuringHold(timeline);
  const generatorValues = timeline.map((point) => point.generatorCpu);
  const hold = latencySummary(stats.hold.histogram);
  const machine = machineDescription();
  const checks = targetChecks({
    p99Ms: hold.p99,
    targetP99Ms: options.targetP99Ms,
    errors: stats.all.errors,
    requests: stats.all.requests,
    shopRssBytes: input.load?.shopRssBytes ?? null,
    shopPssBytes: input.load?.shopPssBytes ?? null,
    memoryTargetBytes: options.memoryTargetBytes,
    vusReached: input.peakVus,
    vus: options.vus,
  });
  const quiet = quietWindows(timeline);
  const eventLoopP99Max = Math.round(Math.max(0, ...timeline.map((point) => point.eventLoopP99)) * 10) / 10;
  const notes = [...input.notes];
  if (timing.stoppedEarly) notes.push('The run was stopped early (Ctrl-C): the hold is shorter than asked.');
  if (timing.abandoned > 0)
    notes.push(`${timing.abandoned} requests were still unanswered when the drain ended; they are not in the numbers.`);
  for (const endpoint of endpoints)
    if (!endpoint.deployed)
      notes.push(
        `${endpoint.name} is not deployed on this shop yet (404 for the route): its ${endpoint.notDeployed} calls are listed apart, not as errors.`,
      );
  const started = timing.startedAt;
  const stamp = `${started.getFullYear()}${pad(started.getMonth() + 1)}${pad(started.getDate())}-${pad(started.getHours())}${pad(started.getMinutes())}${pad(started.getSeconds())}`;
  return {
    tool: 'tenk-load',
    version: 1,
    name: options.name ?? `${options.scenario}-${options.vus}vu-${stamp}`,
    scenario: options.scenario,
    mix: options.mix.map((entry) => ({ scenario: entry.scenario.name, weight: entry.weight })),
    startedAt: timing.startedAt.toISOString(),
    finishedAt: timing.finishedAt.toISOString(),
    target: {
      url: input.url,
      startedByTool: input.shop !== null,
      apiInstances: input.shop ? options.apiInstances : null,
      shopEnv: options.shopEnv,
    },
    settings: {
      vus: options.vus,
      rampSeconds: options.rampMs / 1_000,
      holdSeconds: options.holdMs / 1_000,
      think: describeThinkTime(options.think),
      uploadThink: describeThinkTime(options.uploadThink),
      zipfExponent: options.zipfExponent,
      seed: options.seed,
      clientIps: input.shop || Target.spreadsFor(input.url) ? options.clientIps : 1,
      connectionsPerIp: options.connectionsPerIp,
      timeoutSeconds: options.timeoutMs / 1_000,
      catalogProducts: input.catalog.size,
      uploadBytes: input.uploadBytes,
    },
    conditions: {
      machine,
      loadAverageBefore: input.loadBefore,
      loadAverageAfter: input.loadAfter,
      note: options.note,
      otherCpuDuringHold: cpu.find((usage) => usage.kind === 'other')?.average ?? null,
      generator: {
        cpuAverage: Math.round((generatorValues.reduce((a, b) => a + b, 0) / Math.max(1, generatorValues.length)) * 10) / 10,
        cpuPeak: Math.round(Math.max(0, ...generatorValues) * 10) / 10,
        eventLoopP99Max,
      },
    },
    summary: {
      requests: stats.all.requests,
      errors: stats.all.errors,
      errorRate: stats.all.requests > 0 ? stats.all.errors / stats.all.requests : 0,
      notDeployed: stats.all.notDeployed,
      holdSeconds,
      throughput: perSecond(stats.hold.requests),
      latency: hold,
      latencyAll: latencySummary(stats.all.histogram),
      peakVus: input.peakVus,
      stoppedEarly: timing.stoppedEarly,
      abandoned: timing.abandoned,
    },
    endpoints,
    journeys: [...stats.journeys].map(([name, histogram]) => ({ name, count: histogram.count, ...latencySummary(histogram) })),
    timeline,
    memory: { idle: input.idle, load: input.load, peakShopRssBytes: input.peakRss, targetBytes: options.memoryTargetBytes },
    cpu,
    verdict: {
      checks,
      limit: [
        ...findLimit({
          cpu,
          machineCpu,
          cores: machine.cpus,
          generatorEventLoopP99Max: eventLoopP99Max,
          checksMet: checks.every((check) => check.met),
        }),
        ...(quiet ? [describeQuietWindows(quiet)] : []),
      ],
      errors: explainErrors(endpoints),
      quiet,
    },
    histograms: { hold: stats.hold.histogram.toJSON(), all: stats.all.histogram.toJSON() },
    notes,
  };
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

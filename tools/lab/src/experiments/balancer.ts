import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Experiment, LabContext, LabResult } from '../experiment';
import { cpuDeltaMs, sampleProcess } from '../process-stats';
import { COMPONENTS, profileShares, readProfile } from './balancer-profile';
import { interleaved, quote, roundsFor, roundsNote, summarize, type Row } from '../repeats';
import {
  freePorts,
  nginxBinary,
  nginxConfig,
  pinned,
  pinning,
  shopConfigFile,
  startNginx,
  startOtlpSink,
  startTenk,
  startTenkFile,
  startUpstreams,
  tenkConfig,
  WORKSPACE,
  type Child,
  type TenkExtras,
} from './balancer-processes';

/** The target running the shop's own tenk.conf. */
const SHOP = 'tenk, shop config';
/** The same, with tracing on (a span per request, exported over OTLP), as npm start runs it when Jaeger is up. */
const SHOP_TRACED = 'tenk, shop config, traced';

/** Connections for the light-load phase. */
const LIGHT_CONNECTIONS = 4;

interface LoadRun {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  requests: number;
}

interface TargetRun extends LoadRun {
  /** CPU the target's processes used per request, in microseconds. */
  cpuUsPerRequest: number;
  /** ...of which in the kernel (system time): socket reads and writes, mostly. */
  systemUsPerRequest: number;
  /** Share of one core the target used during the run. */
  cpuCores: number;
}

interface Target {
  label: string;
  url: string;
  /** Whose CPU is charged: the balancer's processes, or (direct) the upstream's. */
  processes: Child;
}

/**
 * Where each process runs. `alone`: the balancer under test has a core to itself, the load
 * generator and the upstreams share the other. `shared`: the balancer shares a core with the
 * upstreams, the load generator has the other. The first keeps the result's old keys.
 */
interface Pinning {
  name: 'alone' | 'shared';
  /** Appended to each measurement key ('' for the first, so docs links stay valid). */
  suffix: string;
  description: string;
  load: string | null;
  upstreams: string | null;
  balancer: string | null;
}

function pinnings(pin: ReturnType<typeof pinning>): Pinning[] {
  if (!pin.available)
    return [
      { name: 'alone', suffix: '', description: 'not pinned (taskset missing or 1 CPU)', load: null, upstreams: null, balancer: null },
    ];
  return [
    {
      name: 'alone',
      suffix: '',
      description: `balancer alone on CPU ${pin.balancerCpu}; wrk and the upstreams on CPU ${pin.loadCpu}`,
      load: pin.loadCpu,
      upstreams: pin.loadCpu,
      balancer: pin.balancerCpu,
    },
    {
      name: 'shared',
      suffix: ' (shared core)',
      description: `balancer sharing CPU ${pin.loadCpu} with the upstreams; wrk on CPU ${pin.balancerCpu}`,
      load: pin.balancerCpu,
      upstreams: pin.loadCpu,
      balancer: pin.loadCpu,
    },
  ];
}

/**
 * `npm run lab -- balancer`: the same two upstream servers measured (1) directly, (2) behind
 * real nginx with one worker, (3) behind tenk's balancer, with wrk (or autocannon) and 64
 * connections, under two pinnings (taskset): the balancer alone on a core, and the balancer
 * sharing a core with the upstreams. It reports first what a proxied request costs in CPU,
 * tenk against nginx in the same run, and the capacity of one core (req/s divided by the share
 * of a core the balancer used), then req/s and latency. Each pinning runs `--rounds` rounds
 * (3), the targets interleaved; each figure is the median of the rounds, with its spread.
 */
export const balancerExperiment: Experiment = {
  name: 'balancer',
  summary:
    'CPU per proxied request and capacity per core, tenk vs nginx (1 worker), balancer alone on a core and sharing one with the upstreams; then req/s, p50/p99',
  async run(context: LabContext): Promise<LabResult> {
    // --seconds N: shorter measured runs when the machine (or the lock) is busy; 10 by default.
    const seconds = context.quick ? context.seconds(10, 2) : context.option('seconds', 10);
    const warmup = context.seconds(3, 1);
    const rounds = roundsFor(context);
    const connections = context.option('connections', 64);
    const pin = pinning();
    const loadBefore = os.loadavg()[0];
    const tool = spawnSync('wrk', ['--version']).error ? 'autocannon' : 'wrk';
    const nginx = nginxBinary();
    if (!nginx) context.log('nginx is not installed (npm run infra -- install nginx): measuring direct and tenk only');
    context.log(`${tool}, ${connections} connections, ${seconds} s x ${rounds} rounds per target and pinning`);
    const accessLog = context.flag('access-log');
    const results: PinningResult[] = [];
    for (const placement of pinnings(pin)) {
      context.log(`pinning: ${placement.description}`);
      results.push(await measurePinning(context, placement, { tool, nginx, seconds, warmup, rounds, connections, accessLog }));
    }
    return report(results, { tool, connections, seconds, rounds, accessLog, load: [loadBefore, os.loadavg()[0]] });
  },
};

interface PinningResult {
  pinning: Pinning;
  runs: Map<string, TargetRun[]>;
  light: Map<string, LoadRun>;
  /** CPU per request by component, from a profiled run (alone pinning only). */
  profiles: Map<string, Row>;
}

/**
 * One more run of a tenk target started with `--cpu-prof`: its CPU per request from /proc, split
 * by the profile's shares of busy self time (balancer-profile.ts). The profiler adds its own
 * cost and the profile includes start-up and the warm-up, so the split is approximate.
 */
async function profileTarget(
  start: (extra: TenkExtras) => Promise<Child>,
  url: string,
  placement: Pinning,
  settings: { tool: string; seconds: number; warmup: number; connections: number },
): Promise<Row> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tenk-lab-profile-'));
  const child = await start({ nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
  let cpuUs = 0;
  try {
    await runLoad(settings.tool, url, settings.connections, settings.warmup, placement.load);
    const before = child.pids().map(sampleProcess);
    const load = await runLoad(settings.tool, url, settings.connections, settings.seconds, placement.load);
    cpuUs = (cpuDeltaMs(before, child.pids().map(sampleProcess)) * 1000) / Math.max(1, load.requests);
  } finally {
    await child.stop();
  }
  const shares = profileShares(readProfile(dir));
  const row: Row = { cpu_us_per_request: round(cpuUs) };
  for (const component of COMPONENTS) {
    row[`${component}_us`] = round(shares[component] * cpuUs);
    row[`${component}_percent`] = round(shares[component] * 100);
  }
  return row;
}

async function measurePinning(
  context: LabContext,
  placement: Pinning,
  settings: {
    tool: string;
    nginx: string | null;
    seconds: number;
    warmup: number;
    rounds: number;
    connections: number;
    accessLog: boolean;
  },
): Promise<PinningResult> {
  const { tool, seconds } = settings;
  const [upA, upB, nginxPort, tenkPort, tenkAdmin] = await freePorts(5);
  const started: Child[] = [];
  const sinks: Array<{ close: () => Promise<void> }> = [];
  try {
    const upstreams = await startUpstreams('fast', [upA, upB], placement.upstreams);
    started.push(upstreams);
    const targets: Target[] = [{ label: 'direct', url: `http://127.0.0.1:${upA}/`, processes: upstreams }];
    if (settings.nginx) {
      const child = await startNginx(settings.nginx, placement.balancer, nginxConfig(nginxPort, [upA, upB]), nginxPort);
      started.push(child);
      targets.push({ label: 'nginx', url: `http://127.0.0.1:${nginxPort}/`, processes: child });
    }
    const tenk = await startTenk(
      placement.balancer,
      tenkConfig(tenkPort, tenkAdmin, [upA, upB], { accessLog: settings.accessLog }),
      tenkPort,
      tenkAdmin,
    );
    started.push(tenk);
    targets.push({ label: 'tenk', url: `http://127.0.0.1:${tenkPort}/`, processes: tenk });
    // The shop's own tenk.conf on the same upstreams: what `npm start`'s balancer pays per request.
    const [shopPort, shopAdmin] = await freePorts(2);
    const shop = await startTenkFile(placement.balancer, shopConfigFile([upA, upB]), shopPort, shopAdmin, true);
    started.push(shop);
    targets.push({ label: SHOP, url: `http://127.0.0.1:${shopPort}/products`, processes: shop });
    const sink = await startOtlpSink();
    sinks.push(sink);
    const [tracedPort, tracedAdmin] = await freePorts(2);
    const traced = await startTenkFile(placement.balancer, shopConfigFile([upA, upB]), tracedPort, tracedAdmin, true, {
      env: { TENK_OTLP_ENDPOINT: sink.url, TENK_TRACE_SAMPLE_RATIO: '1' },
    });
    started.push(traced);
    targets.push({ label: SHOP_TRACED, url: `http://127.0.0.1:${tracedPort}/products`, processes: traced });

    const byLabel = await interleaved(
      settings.rounds,
      targets.map((target) => target.label),
      async (label, round) => {
        const target = targets.find((candidate) => candidate.label === label) as Target;
        await runLoad(tool, target.url, settings.connections, settings.warmup, placement.load);
        const before = target.processes.pids().map(sampleProcess);
        const systemBefore = systemMs(target.processes.pids());
        const load = await runLoad(tool, target.url, settings.connections, seconds, placement.load);
        const after = target.processes.pids().map(sampleProcess);
        const cpuMs = cpuDeltaMs(before, after);
        const requests = Math.max(1, load.requests);
        const run: TargetRun = {
          ...load,
          cpuUsPerRequest: (cpuMs * 1000) / requests,
          systemUsPerRequest: ((systemMs(target.processes.pids()) - systemBefore) * 1000) / requests,
          cpuCores: cpuMs / (seconds * 1000),
        };
        context.log(
          `${placement.name}, round ${round} ${label}: ${run.cpuUsPerRequest.toFixed(1)} us CPU/request, ${(run.cpuCores * 100).toFixed(0)}% of a core, ${run.requestsPerSecond.toFixed(0)} req/s, p50 ${run.p50Ms} ms, p99 ${run.p99Ms} ms${run.errors ? `, ${run.errors} errors` : ''}`,
        );
        return run;
      },
    );
    // The same targets far from saturation: what a request pays for the extra hop.
    const light = new Map<string, LoadRun>();
    for (const target of targets) {
      const run = await runLoad(tool, target.url, LIGHT_CONNECTIONS, context.seconds(5, 1), placement.load);
      light.set(target.label, run);
      context.log(`${placement.name}, ${LIGHT_CONNECTIONS} connections, ${target.label}: p50 ${run.p50Ms} ms, p99 ${run.p99Ms} ms`);
    }
    // Where the CPU goes: tenk again (bare, then the shop config) under --cpu-prof, alone on its core.
    const profiles = new Map<string, Row>();
    if (placement.name === 'alone' && !context.flag('no-profile')) {
      const [bareProfPort, bareProfAdmin, shopProfPort, shopProfAdmin] = await freePorts(4);
      const runs: Array<[string, string, (extra: TenkExtras) => Promise<Child>]> = [
        [
          'tenk',
          `http://127.0.0.1:${bareProfPort}/`,
          (extra) => startTenk(placement.balancer, tenkConfig(bareProfPort, bareProfAdmin, [upA, upB]), bareProfPort, bareProfAdmin, extra),
        ],
        [
          SHOP,
          `http://127.0.0.1:${shopProfPort}/products`,
          (extra) => startTenkFile(placement.balancer, shopConfigFile([upA, upB]), shopProfPort, shopProfAdmin, true, extra),
        ],
      ];
      for (const [label, url, start] of runs) {
        const row = await profileTarget(start, url, placement, settings);
        profiles.set(label, row);
        context.log(
          `profile of ${label}: ${row.cpu_us_per_request} us CPU/request under the profiler; ${COMPONENTS.map((component) => `${component} ${row[`${component}_us`]}`).join(', ')} us`,
        );
      }
    }
    return { pinning: placement, runs: new Map(Object.entries(byLabel)), light, profiles };
  } finally {
    for (const child of started.reverse()) await child.stop();
    for (const sink of sinks) await sink.close();
  }
}

/** System (kernel) CPU time of processes, in ms, from /proc/PID/stat. */
function systemMs(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      ticks += Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[12]);
    } catch {
      // The process is gone: nothing to add.
    }
  }
  return ticks * 10;
}

const round = (value: number, digits = 1) => Number(value.toFixed(digits));

/** One run of one target, as the result keeps it. */
function targetRow(run: TargetRun): Row {
  return {
    cpu_us_per_request: round(run.cpuUsPerRequest),
    cpu_system_us_per_request: round(run.systemUsPerRequest),
    cpu_user_us_per_request: round(run.cpuUsPerRequest - run.systemUsPerRequest),
    cpu_share_of_one_core: round(run.cpuCores, 2),
    // Capacity of one core: req/s divided by the share of a core used (= 1e6 / CPU per request).
    requests_per_core_second: Math.round(run.requestsPerSecond / Math.max(0.001, run.cpuCores)),
    requests_per_second: Math.round(run.requestsPerSecond),
    p50_ms: round(run.p50Ms, 2),
    p99_ms: round(run.p99Ms, 2),
    errors: run.errors,
  };
}

/** tenk against nginx in the same round. */
function versus(tenk: TargetRun, nginx: TargetRun): Row {
  const capacity = (run: TargetRun) => run.requestsPerSecond / Math.max(0.001, run.cpuCores);
  return {
    cpu_per_request_ratio: round(tenk.cpuUsPerRequest / nginx.cpuUsPerRequest, 2),
    capacity_per_core_ratio: round(capacity(tenk) / capacity(nginx), 2),
    requests_per_second_ratio: round(tenk.requestsPerSecond / nginx.requestsPerSecond, 2),
    p99_ratio: round(tenk.p99Ms / nginx.p99Ms, 2),
  };
}

function report(
  results: PinningResult[],
  settings: { tool: string; connections: number; seconds: number; rounds: number; accessLog: boolean; load: number[] },
): LabResult {
  const measurements: LabResult['measurements'] = {};
  const headlines: string[] = [];
  const charts: LabResult['charts'] = [
    { title: "CPU per proxied request (direct: the upstream's), median", unit: 'us', lowerIsBetter: true, bars: [] },
    { title: 'Capacity of one core: req/s divided by the share of a core used, median', unit: 'req/s', bars: [] },
    { title: 'Throughput, median', unit: 'req/s', bars: [] },
    { title: 'Latency p99, median', unit: 'ms', lowerIsBetter: true, bars: [] },
  ];
  for (const { pinning: placement, runs, light, profiles } of results) {
    for (const [label, row] of profiles) measurements[`profile: ${label}`] = { pinning: placement.description, ...row };
    const rows = new Map<string, Row>();
    for (const [label, list] of runs) {
      const row: Row = {
        pinning: placement.description,
        ...summarize(list.map(targetRow)),
        [`p50_ms_at_${LIGHT_CONNECTIONS}_connections`]: round(light.get(label)?.p50Ms ?? 0, 3),
        [`p99_ms_at_${LIGHT_CONNECTIONS}_connections`]: round(light.get(label)?.p99Ms ?? 0, 3),
      };
      rows.set(label, row);
      measurements[`${label}${placement.suffix}`] = row;
      const bar = (index: number, key: string) =>
        charts[index].bars.push({ label: `${label}, ${placement.name}`, value: Number(row[key]), series: placement.name });
      bar(0, 'cpu_us_per_request');
      if (label !== 'direct') bar(1, 'requests_per_core_second');
      bar(2, 'requests_per_second');
      bar(3, 'p99_ms');
    }
    const tenkRuns = runs.get('tenk') ?? [];
    const nginxRuns = runs.get('nginx');
    const tenk = rows.get('tenk') as Row;
    const where = placement.name === 'alone' ? 'alone on a core' : 'sharing a core with the upstreams';
    if (nginxRuns) {
      const ratio = summarize(tenkRuns.map((run, index) => versus(run, nginxRuns[index])));
      measurements[`tenk vs nginx${placement.suffix}`] = {
        pinning: placement.description,
        ...ratio,
        target_cpu_per_request_ratio: '<= 1.5',
        target_requests_per_second_ratio: '>= 0.6',
        target_p99_ratio: '<= 2',
      };
      const nginx = rows.get('nginx') as Row;
      const shop = rows.get(SHOP);
      const traced = rows.get(SHOP_TRACED);
      headlines.push(
        `${where}: ${quote(tenk, 'cpu_us_per_request', 'us')} of CPU per proxied request vs nginx's ${quote(nginx, 'cpu_us_per_request', 'us')} (${quote(ratio, 'cpu_per_request_ratio')}x); ` +
          `capacity per core ${quote(tenk, 'requests_per_core_second')} vs ${quote(nginx, 'requests_per_core_second')} req/s (${quote(ratio, 'capacity_per_core_ratio')}x); req/s ${quote(ratio, 'requests_per_second_ratio')}x nginx's` +
          (shop === undefined ? '' : `; the shop's tenk.conf ${quote(shop, 'cpu_us_per_request', 'us')}`) +
          (traced === undefined ? '' : `, traced ${quote(traced, 'cpu_us_per_request', 'us')}`),
      );
    } else {
      headlines.push(
        `${where}: tenk ${quote(tenk, 'cpu_us_per_request', 'us')} of CPU per proxied request, ${quote(tenk, 'requests_per_core_second')} req/s per core, ${quote(tenk, 'requests_per_second')} req/s (nginx not installed)`,
      );
    }
  }
  return {
    headline: `${headlines.join('; ')} (${roundsNote(settings.rounds)})`,
    measurements,
    charts: charts.filter((chart) => chart.bars.length > 0),
    notes: [
      `${settings.tool}, ${settings.connections} keep-alive connections, GET of a 101-byte JSON body, ${settings.seconds} s per run after a warm-up; per pinning, ${settings.rounds} round${settings.rounds === 1 ? '' : 's'} with the targets interleaved (direct, nginx, tenk, ${SHOP}, ${SHOP_TRACED}); each figure is the median of the rounds, <key>_min and <key>_max its spread; ratios are computed per round (tenk and nginx of the same round), then the median taken.`,
      ...results.map(
        ({ pinning: placement }) =>
          `${placement.suffix === '' ? 'keys without a suffix' : `keys ending "${placement.suffix}"`}: ${placement.description}`,
      ),
      `Both balancers have one worker, keepalive 64 to the upstreams, no access log${settings.accessLog ? ' (tenk: JSON access log to /dev/null, --access-log)' : ''}; the same two upstreams (one Node process).`,
      `"${SHOP}": tenk with the shop's own apps/balancer/conf/tenk.conf (least_conn, max_conns=64 and queue 512, health_check every 2 s, proxy_set_header Host $host, a JSON access log line per request to stdout, a pipe the lab reads, as npm start's launcher does), its server list written as tools/shop writes it, asked for /products; tracing off (TENK_OTLP_ENDPOINT unset). "${SHOP_TRACED}": the same with tracing on, every request sampled (TENK_TRACE_SAMPLE_RATIO=1, the development default npm start uses when Jaeger runs), spans batched over OTLP/HTTP to an endpoint in the lab's process that drops them. Targets (issue 14): tenk at most 1.5x nginx's CPU per request under both pinnings, the shop config at most 60 us.`,
      "CPU per request is read from /proc (user + system time of the balancer's processes: nginx master + worker, tenk's node process) over the measured run; direct = wrk straight to one upstream, its CPU column the upstream's, the floor every proxied request adds to.",
      "requests_per_core_second is a balancer's capacity on one core: req/s divided by the share of a core it used. Read it (and CPU per request) before req/s: when a balancer does not use all of its core, something else (the load generator, the upstreams) is the limit, and a req/s ratio says little about the balancer.",
      `"profile: <target>" (alone pinning; --no-profile skips it): one more run of that tenk target under node --cpu-prof, its CPU per request (from /proc, the profiler's cost included) split by the profile's shares of busy self time: tenk = apps/balancer's own code; undici = the upstream client, its llhttp parser in WebAssembly; node_http = Node's HTTP server and ServerResponse; node_streams = Node's streams, sockets, events and timers; socket_writes = the native writev/write calls, nearly all of it the kernel sending on loopback TCP; tracing = OpenTelemetry; gc = garbage collection; other = V8's own work, natives, module loading at start. Socket reads happen in the kernel outside any JavaScript frame: they are in node_streams, other and the /proc system time.`,
      `1-minute load average at the start ${settings.load[0].toFixed(2)}, at the end ${settings.load[1].toFixed(2)}.`,
    ],
  };
}

/** Runs the load generator (pinned to the load CPU) and reads its numbers. */
/** `newConnections`: every request on a new connection (wrk only: `Connection: close`). */
export async function runLoad(
  tool: string,
  url: string,
  connections: number,
  seconds: number,
  cpu: string | null,
  newConnections = false,
): Promise<LoadRun> {
  if (tool === 'wrk') {
    const close = newConnections ? ['-H', 'Connection: close'] : [];
    const [command, args] = pinned(cpu, 'wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', ...close, url]);
    return parseWrk(await capture(command, args));
  }
  const bin = path.join(WORKSPACE, 'node_modules/.bin/autocannon');
  const [command, args] = pinned(cpu, bin, ['-j', '-c', String(connections), '-d', String(seconds), url]);
  const result = JSON.parse(await capture(command, args)) as {
    requests: { average: number; total: number };
    latency: { p50: number; p99: number };
    errors: number;
    non2xx: number;
  };
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.non2xx,
    requests: result.requests.total,
  };
}

function capture(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${err || out}`)),
    );
  });
}

/** Reads wrk's --latency report. */
export function parseWrk(output: string): LoadRun {
  const latency = (p: string): number => {
    const match = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(output);
    if (!match) throw new Error(`wrk output has no ${p}% latency:\n${output}`);
    const value = Number(match[1]);
    return match[2] === 'us' ? value / 1000 : match[2] === 's' ? value * 1000 : value;
  };
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(output);
  const total = /(\d+) requests in/.exec(output);
  if (!rate || !total) throw new Error(`cannot read wrk output:\n${output}`);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  return {
    requestsPerSecond: Number(rate[1]),
    p50Ms: latency('50'),
    p99Ms: latency('99'),
    errors: non2xx + socketErrors,
    requests: Number(total[1]),
  };
}

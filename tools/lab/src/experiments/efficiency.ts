import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import type { Shop } from '@tenk/shop';
import type { Experiment, LabContext, LabResult } from '../experiment';
import { selfTimeByComponent, type CpuProfile } from '../cpu-profile';
import { labProductIds, LAB_ENV, startLabShop, waitForFreeLabPorts } from '../lab-shop';
import { sampleProcess } from '../process-stats';
import { interleaved, quote, roundsFor, roundsNote, summarize, type Row } from '../repeats';
import { parseWrk } from './balancer';
import { newClientAddress } from '@tenk/testing';

const ROOT = path.resolve(__dirname, '../../../..');
const CONNECTIONS = 32;

/** The GETs wrk drives: a probe and the two cached catalog reads (cache hits after the first). */
const GETS = [
  { name: 'health', path: () => '/health/live' },
  { name: 'catalog_list', path: () => '/products?limit=20' },
  { name: 'catalog_item', path: (ids: string[]) => `/products/${ids[11] ?? ids[0]}` },
] as const;

/** Who is charged: the balancer, each api instance, and the stores behind them. */
type Group = 'balancer' | 'api' | 'redis' | 'postgres';

/**
 * `npm run lab -- efficiency`: what one request costs in CPU, per process, as the shop runs it
 * (`npm start`'s two api instances behind the balancer, its own config). wrk (32 connections)
 * drives GET /health/live and the two cached catalog GETs through the balancer, then straight at
 * one api instance (the api alone); a closed loop of 4 clients signs in (POST /auth/login) and
 * places orders (POST /orders, signed in) through the balancer. CPU is read from /proc/PID/stat
 * of the balancer, each api instance, both Redis servers and every PostgreSQL process (primary
 * and replica) over each run, and divided by the requests served: a figure that holds on a busy
 * machine, where req/s does not. Then an idle api instance's CPU (% of a core, 10 s of nothing).
 * `--profile` adds a CPU profile (`node --cpu-prof`) of one api instance serving the catalog
 * list, its self time per request by component (package, Node module, tenk lib); with
 * `--trace-ratio R` that instance traces at ratio R.
 */
export const efficiencyExperiment: Experiment = {
  name: 'efficiency',
  summary: 'CPU µs per request per process (balancer, api, Redis, PostgreSQL): health, cached catalog GETs, sign-in, order; idle api',
  async run(context) {
    const wrk = ensureWrk(context);
    if (context.flag('profile-only')) return profileReport(await profileApi(context, wrk, context.seconds(8, 2)));
    const rounds = roundsFor(context);
    const seconds = context.seconds(8, 2);
    const warmup = context.seconds(2, 1);
    await waitForFreeLabPorts(context);
    const shop = await startLabShop(context, { apiInstances: 2 });
    let rows: Record<string, Row>;
    let idle: Row;
    try {
      const origin = shop.urls.shop;
      const ids = await labProductIds(origin);
      const cookies = await signUp(origin, 8);
      const pids = processGroups(context, shop);
      const steps = [...GETS.flatMap((get) => [`${get.name}_shop`, `${get.name}_api`]), 'sign_in_shop', 'order_shop'] as const;
      const runs = await interleaved(
        rounds,
        steps,
        async (step) => {
          const via = step.endsWith('_api') ? 'api' : 'shop';
          const base = via === 'api' ? shop.urls.apis[0] : origin;
          const charged = via === 'api' ? { ...pids, balancer: [], api: pids.api.slice(0, 1) } : pids;
          const get = GETS.find((candidate) => step.startsWith(candidate.name));
          if (get) {
            const url = `${base}${get.path(ids)}`;
            await runWrk(wrk, url, warmup);
            return measure(charged, () => runWrk(wrk, url, seconds));
          }
          const loop = step === 'sign_in_shop' ? signInLoop(origin, cookies.emails) : orderLoop(origin, cookies.cookies, ids);
          await loop(Math.min(warmup, 1));
          return measure(charged, () => loop(seconds));
        },
        (line) => context.log(line),
      );
      rows = Object.fromEntries(Object.entries(runs).map(([step, list]) => [step, summarize(list as Row[])]));
      context.log('idle: 10 s of no requests');
      idle = await idleCost(pids.api, context.seconds(10, 2));
    } finally {
      await shop.stop();
    }
    const profile = context.flag('profile') ? await profileApi(context, wrk, seconds) : null;
    return report(rows, idle, profile, { rounds, seconds, wrk });
  },
};

/** wrk from Debian (installed by tools/infra when missing). */
function ensureWrk(context: LabContext): string {
  if (!spawnSync('wrk', ['--version']).error) return 'wrk';
  context.log('wrk is not installed: installing it (npm run infra -- install wrk)');
  const installed = spawnSync(process.execPath, ['-r', './tools/register.cjs', 'tools/infra/src/main.ts', 'install', 'wrk'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (installed.status !== 0 || spawnSync('wrk', ['--version']).error)
    throw new Error('could not install wrk: npm run infra -- install wrk');
  return 'wrk';
}

/** The pids charged for each group (PostgreSQL: every process of both clusters, looked up when sampled). */
interface Pids {
  balancer: number[];
  api: number[];
  redis: number[];
  postmasters: number[];
}

function processGroups(context: LabContext, shop: Shop): Pids {
  const pid = (name: string) => {
    const value = shop.process(name).pid;
    if (value === undefined) throw new Error(`the lab shop's ${name} has no pid`);
    return value;
  };
  const { data, run } = context.config.paths;
  const readPid = (file: string) => (existsSync(file) ? Number(readFileSync(file, 'utf8').split('\n')[0]) : NaN);
  return {
    balancer: [pid('balancer')],
    api: shop.urls.apis.map((_, index) => pid(`api-${index + 1}`)),
    redis: ['redis-cache', 'redis-queue'].map((name) => readPid(path.join(run, name, 'redis.pid'))).filter(Number.isFinite),
    postmasters: ['postgres-primary', 'postgres-replica']
      .map((name) => readPid(path.join(data, name, 'postmaster.pid')))
      .filter(Number.isFinite),
  };
}

/** A postmaster and its children (backends, walsender, checkpointer, ...). */
function postgresPids(postmasters: number[]): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (postmasters.includes(ppid)) children.push(Number(entry));
    } catch {
      // Gone between the listing and the read.
    }
  }
  return [...postmasters, ...children];
}

/** CPU ms per process of a group, now (a process that ended since counts what it had). */
function sampleGroups(pids: Pids): Record<Group, Map<number, number>> {
  const sample = (list: number[]) => {
    const map = new Map<number, number>();
    for (const pid of list) {
      try {
        map.set(pid, sampleProcess(pid).cpuMs);
      } catch {
        // Ended: not charged.
      }
    }
    return map;
  };
  return {
    balancer: sample(pids.balancer),
    api: sample(pids.api),
    redis: sample(pids.redis),
    postgres: sample(postgresPids(pids.postmasters)),
  };
}

function usedMs(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, ms] of after) total += ms - (before.get(pid) ?? ms);
  return total;
}

/** Runs `work`, charging each group's CPU over it to the requests it served. */
async function measure(pids: Pids, work: () => Promise<{ requests: number; errors: number; seconds: number }>): Promise<Row> {
  const before = sampleGroups(pids);
  const done = await work();
  const after = sampleGroups(pids);
  const requests = Math.max(1, done.requests);
  const perRequest = (ms: number) => Math.round((ms * 1_000 * 10) / requests) / 10;
  const row: Row = {};
  for (const group of ['balancer', 'api', 'redis', 'postgres'] as const)
    row[`${group}_us`] = perRequest(usedMs(before[group], after[group]));
  for (const [index, pid] of pids.api.entries()) {
    if (before.api.has(pid)) row[`api_${index + 1}_us`] = perRequest((after.api.get(pid) ?? 0) - (before.api.get(pid) ?? 0));
  }
  row['balancer_plus_api_us'] = Math.round(((row['balancer_us'] as number) + (row['api_us'] as number)) * 10) / 10;
  row['requests_per_second'] = Math.round(done.requests / done.seconds);
  row['errors'] = done.errors;
  return row;
}

async function runWrk(wrk: string, url: string, seconds: number): Promise<{ requests: number; errors: number; seconds: number }> {
  const output = await capture(wrk, ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', url]);
  const parsed = parseWrk(output);
  return { requests: parsed.requests - parsed.errors, errors: parsed.errors, seconds };
}

function capture(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${out}`))));
  });
}

const LOOP_CLIENTS = 4;
const PASSWORD = 'lab efficiency password';

/** Shoppers for the sign-in and order loops: their emails and session cookies. */
async function signUp(origin: string, count: number): Promise<{ emails: string[]; cookies: string[] }> {
  const emails: string[] = [];
  const cookies: string[] = [];
  for (let i = 0; i < count; i++) {
    const email = `lab-efficiency-${Date.now().toString(36)}-${i}@example.com`;
    const response = await request(`${origin}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': newClientAddress() },
      body: JSON.stringify({ email, name: `Lab shopper ${i}`, password: PASSWORD }),
    });
    const text = await response.body.text();
    const cookie = ([] as string[]).concat(response.headers['set-cookie'] ?? []).find((line) => line.startsWith('tenk_session='));
    if (response.statusCode !== 201 || !cookie) throw new Error(`POST /users answered ${response.statusCode}: ${text.slice(0, 200)}`);
    emails.push(email);
    cookies.push(cookie.split(';')[0]);
  }
  return { emails, cookies };
}

type Loop = (seconds: number) => Promise<{ requests: number; errors: number; seconds: number }>;

/** LOOP_CLIENTS clients, each sending its next request as soon as the last one's answer is read. */
function closedLoop(origin: string, next: (index: number) => { path: string; init: Parameters<typeof request>[1] }, ok: number): Loop {
  let counter = 0;
  return async (seconds) => {
    const agent = new Agent({ connections: LOOP_CLIENTS, keepAliveTimeout: 10_000 });
    const until = Date.now() + seconds * 1_000;
    let requests = 0;
    let errors = 0;
    try {
      await Promise.all(
        Array.from({ length: LOOP_CLIENTS }, async () => {
          while (Date.now() < until) {
            const { path: target, init } = next(counter++);
            const response = await request(`${origin}${target}`, { ...init, dispatcher: agent });
            await response.body.dump();
            if (response.statusCode === ok) requests++;
            else errors++;
          }
        }),
      );
    } finally {
      await agent.close();
    }
    return { requests, errors, seconds };
  };
}

function signInLoop(origin: string, emails: string[]): Loop {
  return closedLoop(
    origin,
    (index) => ({
      path: '/auth/login',
      init: {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: emails[index % emails.length], password: PASSWORD }),
      },
    }),
    200,
  );
}

function orderLoop(origin: string, cookies: string[], ids: string[]): Loop {
  const runId = Date.now().toString(36);
  return closedLoop(
    origin,
    (index) => ({
      path: '/orders',
      init: {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          cookie: cookies[index % cookies.length],
          'idempotency-key': `lab-efficiency-${runId}-${index}`,
        },
        body: JSON.stringify({ lines: [{ productId: ids[index % ids.length], quantity: 1 }] }),
      },
    }),
    201,
  );
}

/** An idle api instance's CPU, as % of one core, over `seconds` of no requests. */
async function idleCost(apis: number[], seconds: number): Promise<Row> {
  await sleep(2_000); // let the last requests' work (logs, spans, keep-alive timers) settle
  const before = apis.map((pid) => sampleProcess(pid).cpuMs);
  await sleep(seconds * 1_000);
  const after = apis.map((pid) => sampleProcess(pid).cpuMs);
  const row: Row = {};
  const percents = apis.map((_, index) => Math.round(((after[index] - before[index]) / (seconds * 1_000)) * 1_000) / 10);
  for (const [index, percent] of percents.entries()) row[`api_${index + 1}_percent_of_core`] = percent;
  row['api_percent_of_core'] = Math.max(...percents);
  row['seconds'] = seconds;
  return row;
}

/** What `--profile` finds: per-request self time by component for each kind of request, and idle. */
export interface ApiProfile {
  load: Row;
  /** GET /health/live, straight at the instance: what every request pays, with no cache lookup. */
  health: Row;
  idle: Row;
  signIn: Row;
  order: Row;
}

/**
 * `--profile`: a lab shop whose api instance runs with `--cpu-prof`; first 10 s idle, then wrk
 * straight at it on the catalog list, then on GET /health/live, then the sign-in loop and the order loop (4 clients
 * each); the profiles are written when the shop stops it. Self time per request by component
 * (the profiler's own overhead included, so the sum is above the unprofiled figure). Password
 * checks run on worker threads, each with a profile of its own: their time per sign-in is one
 * component, `password hashing (worker threads)`.
 */
async function profileApi(context: LabContext, wrk: string, seconds: number): Promise<ApiProfile> {
  const dir = path.join(context.config.paths.state, 'lab-profiles', `efficiency-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  await waitForFreeLabPorts(context, 2_000);
  const shop = await startLabShop(context, {
    apiInstances: 1,
    apiNodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
    env: tracingEnv(context),
  });
  let apiPid: number | undefined;
  const phases: Record<'idle' | 'load' | 'health' | 'signIn' | 'order', { started: number; ended: number; requests: number }> = {
    idle: { started: 0, ended: 0, requests: 0 },
    load: { started: 0, ended: 0, requests: 0 },
    health: { started: 0, ended: 0, requests: 0 },
    signIn: { started: 0, ended: 0, requests: 0 },
    order: { started: 0, ended: 0, requests: 0 },
  };
  const timed = async (phase: keyof typeof phases, work: () => Promise<number>) => {
    phases[phase].started = Date.now();
    phases[phase].requests = await work();
    phases[phase].ended = Date.now();
  };
  let exited = 0;
  try {
    apiPid = shop.process('api-1').pid;
    const api = shop.urls.apis[0];
    const ids = await labProductIds(api);
    const shoppers = await signUp(api, 8);
    // First what it does with nothing to do (after 3 s of settling), then under load.
    await sleep(3_000);
    await timed('idle', async () => {
      await sleep(context.seconds(10, 3) * 1_000);
      return 0;
    });
    const url = `${api}/products?limit=20`;
    await runWrk(wrk, url, 3);
    const before = await requestsServed(api);
    await timed('load', async () => {
      await runWrk(wrk, url, Math.max(seconds, 10));
      return (await requestsServed(api)) - before;
    });
    const live = `${api}/health/live`;
    await runWrk(wrk, live, 1);
    const beforeHealth = await requestsServed(api);
    await timed('health', async () => {
      await runWrk(wrk, live, Math.max(seconds, 10));
      return (await requestsServed(api)) - beforeHealth;
    });
    const signIn = signInLoop(api, shoppers.emails);
    await signIn(1);
    await timed('signIn', async () => (await signIn(seconds)).requests);
    const order = orderLoop(api, shoppers.cookies, ids);
    await order(1);
    await timed('order', async () => (await order(seconds)).requests);
  } finally {
    // The profile ends when api-1 exits: watch for it, to find the phases in the profile.
    const pid = apiPid;
    const watch = setInterval(() => {
      if (pid !== undefined && exited === 0 && !existsSync(`/proc/${pid}`)) exited = Date.now();
    }, 10);
    await shop.stop();
    clearInterval(watch);
    exited ||= Date.now();
  }
  // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: thread 0 is the main thread, the others workers.
  const files = readdirSync(dir).filter((name) => name.includes(`.${apiPid}.`) && name.endsWith('.cpuprofile'));
  const mainFile = files.find((name) => name.includes(`.${apiPid}.0.`));
  if (!mainFile) throw new Error(`no CPU profile of api-1's main thread (pid ${apiPid}) in ${dir}`);
  const read = (file: string) => JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
  const main = read(mainFile);
  const workers = files.filter((name) => name !== mainFile).map(read);
  // The phases, less 200 ms at each end (the clocks of the lab and the profile differ a little).
  const windowOf = (phase: { started: number; ended: number }) => ({
    fromEndUs: (exited - phase.started - 200) * 1_000,
    toEndUs: (exited - phase.ended + 200) * 1_000,
  });
  const perRequest = (phase: { started: number; ended: number; requests: number }, withWorkers: boolean): Row => {
    const share = (phase.ended - phase.started - 400) / (phase.ended - phase.started);
    const requests = Math.max(1, Math.round(phase.requests * share));
    const row: Row = { requests };
    let total = 0;
    for (const { component, us } of selfTimeByComponent(main, windowOf(phase))) {
      if (IDLE_FRAMES.has(component)) continue;
      total += us;
      const value = Math.round((us / requests) * 10) / 10;
      if (value >= 1) row[component] = value;
    }
    if (withWorkers) {
      let hashing = 0;
      for (const worker of workers)
        for (const { component, us } of selfTimeByComponent(worker, windowOf(phase))) if (!IDLE_FRAMES.has(component)) hashing += us;
      total += hashing;
      row['password hashing (worker threads)'] = Math.round((hashing / requests) * 10) / 10;
    }
    row['total_us'] = Math.round((total / requests) * 10) / 10;
    return row;
  };
  const load = perRequest(phases.load, false);
  const health = perRequest(phases.health, false);
  const signIn = perRequest(phases.signIn, true);
  const order = perRequest(phases.order, false);
  // Idle: each component's CPU as % of one core.
  const idleUs = (phases.idle.ended - phases.idle.started - 400) * 1_000;
  const idle: Row = { seconds: Math.round(idleUs / 1e5) / 10 };
  let idleTotal = 0;
  for (const { component, us } of selfTimeByComponent(main, windowOf(phases.idle))) {
    if (IDLE_FRAMES.has(component)) continue;
    idleTotal += us;
    const percent = Math.round((us / idleUs) * 100 * 100) / 100;
    if (percent >= 0.01) idle[component] = percent;
  }
  idle['total_percent_of_core'] = Math.round((idleTotal / idleUs) * 100 * 100) / 100;
  // --profile-only keeps the profiles, to open in a profiler (Chrome DevTools, speedscope).
  if (context.flag('profile-only')) context.log(`profiles kept: ${dir} (main thread: ${mainFile})`);
  else rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
  return { load, health, idle, signIn, order };
}

/**
 * `--trace-ratio R` (with --profile or --profile-only): the profiled api traces at ratio R to
 * tools/infra's Jaeger, to see where tracing's cost goes; without it the lab shop does not trace.
 */
function tracingEnv(context: LabContext): Record<string, string> {
  const ratio = context.option('trace-ratio', -1);
  if (ratio === -1) return {};
  if (ratio < 0 || ratio > 1) throw new Error(`--trace-ratio must be from 0 to 1, got ${ratio}`);
  return {
    TENK_OTLP_ENDPOINT: `http://127.0.0.1:${context.config.tracing.jaeger.otlpPort}`,
    TENK_TRACE_SAMPLE_RATIO: String(ratio),
  };
}

/** Profile nodes that are not the process's work (`(program)`, native code outside JS, is). */
const IDLE_FRAMES = new Set(['(idle)', '(root)']);

/** The api's own count of requests answered (its Prometheus histogram), to divide the profile by. */
async function requestsServed(api: string): Promise<number> {
  const response = await request(`${api}/metrics`);
  const text = await response.body.text();
  let total = 0;
  for (const match of text.matchAll(/^http_server_request_duration_seconds_count\{[^}]*\} (\d+)/gm)) total += Number(match[1]);
  return total;
}

function report(
  rows: Record<string, Row>,
  idle: Row,
  profile: ApiProfile | null,
  settings: { rounds: number; seconds: number; wrk: string },
): LabResult {
  const total = (step: string) => quote(rows[step], 'balancer_plus_api_us', 'µs');
  const api = (step: string) => quote(rows[step], 'api_us', 'µs');
  const measurements: LabResult['measurements'] = { ...rows, idle };
  if (profile) Object.assign(measurements, profileMeasurements(profile));
  measurements['targets'] = targetsRow(rows);
  const labels: Record<string, string> = {
    health: 'GET /health/live',
    catalog_list: 'GET /products?limit=20',
    catalog_item: 'GET /products/:id',
    sign_in: 'POST /auth/login',
    order: 'POST /orders',
  };
  const shopSteps = Object.keys(labels).map((name) => `${name}_shop`);
  return {
    headline: `CPU per request, balancer + api: cached catalog list ${total('catalog_list_shop')}, item ${total('catalog_item_shop')}, /health/live ${total('health_shop')}, sign-in ${total('sign_in_shop')}, order ${total('order_shop')} (api alone: ${api('catalog_list_api')}, ${api('catalog_item_api')}, ${api('health_api')}); targets met: ${metTargets(rows)}; idle api ${idle['api_percent_of_core']}% of a core (${roundsNote(settings.rounds)})`,
    measurements,
    charts: [
      {
        title: 'CPU per request through the balancer, by process (µs)',
        unit: 'µs',
        lowerIsBetter: true,
        bars: shopSteps.flatMap((step) =>
          (['balancer', 'api', 'redis', 'postgres'] as const).map((group) => ({
            label: `${labels[step.replace(/_shop$/, '')]} ${group}`,
            value: rows[step][`${group}_us`] as number,
            series: group,
          })),
        ),
      },
      {
        title: 'CPU per request, one api instance alone (µs)',
        unit: 'µs',
        lowerIsBetter: true,
        bars: GETS.map((get) => ({ label: labels[get.name], value: rows[`${get.name}_api`]['api_us'] as number })),
      },
      {
        title: 'CPU per request, balancer + api, against its target (µs)',
        unit: 'µs',
        lowerIsBetter: true,
        bars: Object.entries(TARGETS).flatMap(([step, target]) => [
          {
            label: `${labels[step.replace(/_shop$/, '')]} measured`,
            value: rows[step]['balancer_plus_api_us'] as number,
            series: 'measured',
          },
          { label: `${labels[step.replace(/_shop$/, '')]} target`, value: target, series: 'target' },
        ]),
      },
      ...(profile ? profileCharts(profile) : []),
    ],
    notes: [
      `targets (TARGETS in efficiency.ts), CPU µs per request for balancer + api, the median against the target: ${Object.entries(TARGETS)
        .map(([step, target]) => `${step} ${target}`)
        .join(
          ', ',
        )}. The GETs' are issue 14's; sign-in's and order placement's are set from --profile (chapter 6, "What a request costs").`,
      `the shop as npm start runs it (2 api instances behind the balancer, its shipped config; logs at the lab's level ${LAB_ENV['TENK_LOG_LEVEL']}, tracing off); ${settings.wrk}, ${CONNECTIONS} connections, 1 thread, ${settings.seconds} s per run after a warm-up, for the GETs; POST /auth/login and POST /orders (signed in, one line, a new Idempotency-Key each) from a closed loop of ${LOOP_CLIENTS} clients. Each round runs every step once, interleaved; each figure is the median of ${settings.rounds} round(s), <key>_min/_max its spread.`,
      '<step>_shop: through the balancer, CPU charged to the balancer, both api instances, both Redis servers and every PostgreSQL process (primary and replica, their children included); <step>_api: wrk straight at api-1, charged to api-1 alone (and the stores). CPU is user + system time from /proc/PID/stat over the run, divided by the requests answered with the expected status (200; 201 for orders); errors counts the others.',
      'Redis and PostgreSQL are the shared local stack: on a machine where other runs use them, their figures include that work. requests_per_second depends on how busy the machine is; CPU per request much less.',
      'idle: CPU of each api instance over 10 s with no requests, after 2 s of settling, as % of one core.',
      ...(profile ? [...PROFILE_NOTES] : []),
    ],
  };
}

/**
 * CPU µs per request, balancer + api (the median of `<step>_shop`'s balancer_plus_api_us), that
 * each kind of request should cost. The GETs' come from issue 14. Sign-in's and order
 * placement's were set from --profile (chapter 6, results/efficiency-profile-sign-in-order.json):
 * a sign-in is one bcrypt check at cost 10 (bcryptjs on a worker thread, about 76 ms here,
 * deliberately slow) plus about 8 ms of everything else, so the check plus 4 ms; an order's
 * ~19.5 ms has no such floor, ~8 ms of it the kernel's writes of PostgreSQL statements sent one
 * round trip at a time, so fewer round trips and a cheaper request path: 8 ms.
 */
export const TARGETS: Readonly<Record<string, number>> = {
  health_shop: 150,
  catalog_list_shop: 250,
  catalog_item_shop: 250,
  sign_in_shop: 80_000,
  order_shop: 8_000,
};

function targetsRow(rows: Record<string, Row>): Row {
  const row: Row = {};
  for (const [step, target] of Object.entries(TARGETS)) {
    const measured = rows[step]?.['balancer_plus_api_us'];
    row[`${step}_target_us`] = target;
    row[`${step}_met`] = typeof measured === 'number' && measured <= target ? 'yes' : 'no';
  }
  return row;
}

function metTargets(rows: Record<string, Row>): string {
  const steps = Object.keys(TARGETS);
  const met = steps.filter((step) => targetsRow(rows)[`${step}_met`] === 'yes');
  return `${met.length} of ${steps.length}${met.length > 0 ? ` (${met.join(', ')})` : ''}`;
}

function profileMeasurements(profile: ApiProfile): LabResult['measurements'] {
  return {
    profile_catalog_list_api: profile.load,
    profile_health_api: profile.health,
    profile_idle_api: profile.idle,
    profile_sign_in_api: profile.signIn,
    profile_order_api: profile.order,
  };
}

const PROFILE_NOTES = [
  'profile_catalog_list_api: one api instance (a lab shop of its own) under --cpu-prof, wrk straight at it on GET /products?limit=20 (cache hits); self time by component (npm package, Node module, tenk project; "(program)" is native code outside JS) divided by the requests it counted; the profiler adds its own cost, so total_us is above the unprofiled figure.',
  'profile_health_api: the same instance right after, wrk straight at it on GET /health/live (no cache, no database): what every request pays in the api, the same way.',
  "profile_idle_api: the same instance in the 10 s before the load, with no requests but the balancer's health checks: self time by component as % of one core.",
  "profile_sign_in_api, profile_order_api: the same instance after the catalog load, the sign-in loop then the order loop (4 clients each, straight at it), self time per request answered; a sign-in's password check runs on the password pool's worker threads, each profiled on its own, summed as 'password hashing (worker threads)'.",
];

function profileCharts(profile: ApiProfile): LabResult['charts'] {
  const bars = (row: Row, skip: string[]) =>
    Object.entries(row)
      .filter((entry): entry is [string, number] => typeof entry[1] === 'number' && !skip.includes(entry[0]))
      .slice(0, 16)
      .map(([component, value]) => ({ label: component, value }));
  return [
    {
      title: 'Where a cached catalog GET goes in one api instance (profile self time, µs per request)',
      unit: 'µs',
      lowerIsBetter: true,
      bars: bars(profile.load, ['requests', 'total_us']),
    },
    {
      title: 'Where a GET /health/live goes in one api instance (profile self time, µs per request)',
      unit: 'µs',
      lowerIsBetter: true,
      bars: bars(profile.health, ['requests', 'total_us']),
    },
    {
      title: 'Where a sign-in goes in one api instance (profile self time, µs per request)',
      unit: 'µs',
      lowerIsBetter: true,
      bars: bars(profile.signIn, ['requests', 'total_us']),
    },
    {
      title: 'Where an order goes in one api instance (profile self time, µs per request)',
      unit: 'µs',
      lowerIsBetter: true,
      bars: bars(profile.order, ['requests', 'total_us']),
    },
    {
      title: 'What an idle api instance does (profile self time, % of a core)',
      unit: '%',
      lowerIsBetter: true,
      bars: bars(profile.idle, ['seconds', 'total_percent_of_core']),
    },
  ];
}

/** `--profile-only`: the profiles without the measured runs (for finding where time goes; not for quoting). */
function profileReport(profile: ApiProfile): LabResult {
  return {
    headline: `profile of one api instance (profiler included): ${profile.load['total_us']} µs of self time per cached catalog GET, ${profile.health['total_us']} per GET /health/live, ${profile.signIn['total_us']} per sign-in, ${profile.order['total_us']} per order; idle ${profile.idle['total_percent_of_core']}% of a core`,
    measurements: profileMeasurements(profile),
    charts: profileCharts(profile),
    notes: PROFILE_NOTES,
  };
}

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
 * list, its self time per request by component (package, Node module, tenk lib).
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
      headers: { 'content-type': 'application/json' },
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

/**
 * `--profile`: a lab shop whose api instances run with `--cpu-prof`, wrk straight at api-1 on
 * the catalog list; the profile is written when the shop stops it. Self time per request by
 * component (the profiler's own overhead included, so the sum is above the unprofiled figure).
 */
async function profileApi(context: LabContext, wrk: string, seconds: number): Promise<{ load: Row; idle: Row }> {
  const dir = path.join(context.config.paths.state, 'lab-profiles', `efficiency-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  await waitForFreeLabPorts(context, 2_000);
  const shop = await startLabShop(context, { apiInstances: 1, apiNodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
  let requests = 0;
  let apiPid: number | undefined;
  let loadStarted = 0;
  let loadEnded = 0;
  let idleStarted = 0;
  let idleEnded = 0;
  let exited = 0;
  try {
    apiPid = shop.process('api-1').pid;
    // First what it does with nothing to do (after 3 s of settling), then under load.
    await sleep(3_000);
    idleStarted = Date.now();
    await sleep(context.seconds(10, 3) * 1_000);
    idleEnded = Date.now();
    const url = `${shop.urls.apis[0]}/products?limit=20`;
    await runWrk(wrk, url, 3);
    const before = await requestsServed(shop.urls.apis[0]);
    loadStarted = Date.now();
    await runWrk(wrk, url, Math.max(seconds, 10));
    loadEnded = Date.now();
    requests = (await requestsServed(shop.urls.apis[0])) - before;
  } finally {
    // The profile ends when api-1 exits: watch for it, to find the load phase in the profile.
    const pid = apiPid;
    const watch = setInterval(() => {
      if (pid !== undefined && exited === 0 && !existsSync(`/proc/${pid}`)) exited = Date.now();
    }, 10);
    await shop.stop();
    clearInterval(watch);
    exited ||= Date.now();
  }
  const file = readdirSync(dir).find((name) => name.includes(`.${apiPid}.`) && name.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no CPU profile of api-1 (pid ${apiPid}) in ${dir}`);
  const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
  // The phases, less 200 ms at each end (the clocks of the lab and the profile differ a little).
  const phase = (from: number, to: number) => ({ fromEndUs: (exited - from - 200) * 1_000, toEndUs: (exited - to + 200) * 1_000 });
  const share = (loadEnded - loadStarted - 400) / (loadEnded - loadStarted);
  requests = Math.round(requests * share);
  const load: Row = { requests };
  let total = 0;
  for (const { component, us } of selfTimeByComponent(profile, phase(loadStarted, loadEnded))) {
    if (IDLE_FRAMES.has(component)) continue;
    const perRequest = Math.round((us / Math.max(1, requests)) * 10) / 10;
    total += us;
    if (perRequest >= 1) load[component] = perRequest;
  }
  load['total_us'] = Math.round((total / Math.max(1, requests)) * 10) / 10;
  // Idle: each component's CPU as % of one core.
  const idleUs = (idleEnded - idleStarted - 400) * 1_000;
  const idle: Row = { seconds: Math.round(idleUs / 1e5) / 10 };
  let idleTotal = 0;
  for (const { component, us } of selfTimeByComponent(profile, phase(idleStarted, idleEnded))) {
    if (IDLE_FRAMES.has(component)) continue;
    idleTotal += us;
    const percent = Math.round((us / idleUs) * 100 * 100) / 100;
    if (percent >= 0.01) idle[component] = percent;
  }
  idle['total_percent_of_core'] = Math.round((idleTotal / idleUs) * 100 * 100) / 100;
  // --profile-only keeps the profile, to open in a profiler (Chrome DevTools, speedscope).
  if (context.flag('profile-only')) context.log(`profile kept: ${path.join(dir, file)}`);
  else rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
  return { load, idle };
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
  profile: { load: Row; idle: Row } | null,
  settings: { rounds: number; seconds: number; wrk: string },
): LabResult {
  const total = (step: string) => quote(rows[step], 'balancer_plus_api_us', 'µs');
  const api = (step: string) => quote(rows[step], 'api_us', 'µs');
  const measurements: LabResult['measurements'] = { ...rows, idle };
  if (profile) {
    measurements['profile_catalog_list_api'] = profile.load;
    measurements['profile_idle_api'] = profile.idle;
  }
  const labels: Record<string, string> = {
    health: 'GET /health/live',
    catalog_list: 'GET /products?limit=20',
    catalog_item: 'GET /products/:id',
    sign_in: 'POST /auth/login',
    order: 'POST /orders',
  };
  const shopSteps = Object.keys(labels).map((name) => `${name}_shop`);
  return {
    headline: `CPU per request, balancer + api: cached catalog list ${total('catalog_list_shop')}, item ${total('catalog_item_shop')}, /health/live ${total('health_shop')} (api alone: ${api('catalog_list_api')}, ${api('catalog_item_api')}, ${api('health_api')}); idle api ${idle['api_percent_of_core']}% of a core (${roundsNote(settings.rounds)})`,
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
      ...(profile ? profileCharts(profile) : []),
    ],
    notes: [
      `the shop as npm start runs it (2 api instances behind the balancer, its shipped config; logs at the lab's level ${LAB_ENV['TENK_LOG_LEVEL']}, tracing off); ${settings.wrk}, ${CONNECTIONS} connections, 1 thread, ${settings.seconds} s per run after a warm-up, for the GETs; POST /auth/login and POST /orders (signed in, one line, a new Idempotency-Key each) from a closed loop of ${LOOP_CLIENTS} clients. Each round runs every step once, interleaved; each figure is the median of ${settings.rounds} round(s), <key>_min/_max its spread.`,
      '<step>_shop: through the balancer, CPU charged to the balancer, both api instances, both Redis servers and every PostgreSQL process (primary and replica, their children included); <step>_api: wrk straight at api-1, charged to api-1 alone (and the stores). CPU is user + system time from /proc/PID/stat over the run, divided by the requests answered with the expected status (200; 201 for orders); errors counts the others.',
      'Redis and PostgreSQL are the shared local stack: on a machine where other runs use them, their figures include that work. requests_per_second depends on how busy the machine is; CPU per request much less.',
      'idle: CPU of each api instance over 10 s with no requests, after 2 s of settling, as % of one core.',
      ...(profile ? [...PROFILE_NOTES] : []),
    ],
  };
}

const PROFILE_NOTES = [
  'profile_catalog_list_api: one api instance (a lab shop of its own) under --cpu-prof, wrk straight at it on GET /products?limit=20 (cache hits); self time by component (npm package, Node module, tenk project; "(program)" is native code outside JS) divided by the requests it counted; the profiler adds its own cost, so total_us is above the unprofiled figure.',
  "profile_idle_api: the same instance in the 10 s before the load, with no requests but the balancer's health checks: self time by component as % of one core.",
];

function profileCharts(profile: { load: Row; idle: Row }): LabResult['charts'] {
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
      title: 'What an idle api instance does (profile self time, % of a core)',
      unit: '%',
      lowerIsBetter: true,
      bars: bars(profile.idle, ['seconds', 'total_percent_of_core']),
    },
  ];
}

/** `--profile-only`: the profiles without the measured runs (for finding where time goes; not for quoting). */
function profileReport(profile: { load: Row; idle: Row }): LabResult {
  return {
    headline: `profile of one api instance: ${profile.load['total_us']} µs of self time per cached catalog GET (profiler included), idle ${profile.idle['total_percent_of_core']}% of a core`,
    measurements: { profile_catalog_list_api: profile.load, profile_idle_api: profile.idle },
    charts: profileCharts(profile),
    notes: PROFILE_NOTES,
  };
}

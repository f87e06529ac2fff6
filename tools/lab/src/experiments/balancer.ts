import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Experiment, LabContext, LabResult } from '../experiment';
import { cpuDeltaMs, sampleProcess } from '../process-stats';
import { freePorts, nginxBinary, nginxConfig, pinned, pinning, startNginx, startTenk, startUpstreams, tenkConfig, WORKSPACE, type Child } from './balancer-processes';

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
 * `npm run lab -- balancer`: the same two upstream servers measured (1) directly, (2) behind
 * real nginx with one worker, (3) behind tenk's balancer, with wrk (or autocannon) and 64
 * connections. The load generator and the upstreams share one CPU, the balancer under test
 * gets the other (taskset). Each target runs `--rounds` times, interleaved, and the median is
 * reported: the machine is shared, so single runs wander.
 */
export const balancerExperiment: Experiment = {
  name: 'balancer',
  summary: 'req/s, p50/p99 and CPU per request: direct vs nginx (1 worker) vs tenk, 64 connections',
  async run(context: LabContext): Promise<LabResult> {
    const seconds = context.seconds(10, 2);
    const warmup = context.seconds(3, 1);
    const rounds = context.option('rounds', context.quick ? 1 : 3);
    const connections = context.option('connections', 64);
    const pin = pinning();
    const loadBefore = os.loadavg()[0];
    const tool = spawnSync('wrk', ['--version']).error ? 'autocannon' : 'wrk';
    const nginx = nginxBinary();
    const [upA, upB, nginxPort, tenkPort, tenkAdmin] = await freePorts(5);
    const loadCpu = pin.available ? pin.loadCpu : null;
    const balancerCpu = pin.available ? pin.balancerCpu : null;
    context.log(`${tool}, ${connections} connections, ${seconds} s x ${rounds} rounds per target; ${pin.available ? `load + upstreams on CPU ${loadCpu}, balancer on CPU ${balancerCpu}` : 'no pinning (taskset missing or 1 CPU)'}`);

    const started: Child[] = [];
    try {
      const upstreams = await startUpstreams('fast', [upA, upB], loadCpu);
      started.push(upstreams);
      const targets: Target[] = [{ label: 'direct', url: `http://127.0.0.1:${upA}/`, processes: upstreams }];
      if (nginx) {
        const child = await startNginx(nginx, balancerCpu, nginxConfig(nginxPort, [upA, upB]), nginxPort);
        started.push(child);
        targets.push({ label: 'nginx', url: `http://127.0.0.1:${nginxPort}/`, processes: child });
      } else {
        context.log('nginx is not installed (sudo apt-get install nginx): measuring direct and tenk only');
      }
      const tenk = await startTenk(balancerCpu, tenkConfig(tenkPort, tenkAdmin, [upA, upB], { accessLog: context.flag('access-log') }), tenkPort, tenkAdmin);
      started.push(tenk);
      targets.push({ label: 'tenk', url: `http://127.0.0.1:${tenkPort}/`, processes: tenk });

      const runs = new Map<string, TargetRun[]>(targets.map((target) => [target.label, []]));
      for (let round = 1; round <= rounds; round++) {
        for (const target of targets) {
          await runLoad(tool, target.url, connections, warmup, loadCpu);
          const before = target.processes.pids().map(sampleProcess);
          const systemBefore = systemMs(target.processes.pids());
          const load = await runLoad(tool, target.url, connections, seconds, loadCpu);
          const after = target.processes.pids().map(sampleProcess);
          const cpuMs = cpuDeltaMs(before, after);
          const requests = Math.max(1, load.requests);
          const run = { ...load, cpuUsPerRequest: (cpuMs * 1000) / requests, systemUsPerRequest: ((systemMs(target.processes.pids()) - systemBefore) * 1000) / requests, cpuCores: cpuMs / (seconds * 1000) };
          runs.get(target.label)?.push(run);
          context.log(`round ${round} ${target.label}: ${run.requestsPerSecond.toFixed(0)} req/s, p50 ${run.p50Ms} ms, p99 ${run.p99Ms} ms, ${run.cpuUsPerRequest.toFixed(1)} us CPU/request, ${(run.cpuCores * 100).toFixed(0)}% of a core${run.errors ? `, ${run.errors} errors` : ''}`);
        }
      }
      // The same targets far from saturation: what a request pays for the extra hop.
      const light = new Map<string, LoadRun>();
      for (const target of targets) {
        const run = await runLoad(tool, target.url, LIGHT_CONNECTIONS, context.seconds(5, 1), loadCpu);
        light.set(target.label, run);
        context.log(`${LIGHT_CONNECTIONS} connections, ${target.label}: p50 ${run.p50Ms} ms, p99 ${run.p99Ms} ms`);
      }
      return report(runs, light, { tool, connections, seconds, rounds, pinned: pin.available, loadCpu, balancerCpu, accessLog: context.flag('access-log'), load: [loadBefore, os.loadavg()[0]] });
    } finally {
      for (const child of started.reverse()) await child.stop();
    }
  },
};

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

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

function report(
  runs: Map<string, TargetRun[]>,
  light: Map<string, LoadRun>,
  settings: { tool: string; connections: number; seconds: number; rounds: number; pinned: boolean; loadCpu: string | null; balancerCpu: string | null; accessLog: boolean; load: number[] },
): LabResult {
  const summary = new Map<string, TargetRun>();
  for (const [label, list] of runs) {
    summary.set(label, {
      requestsPerSecond: median(list.map((r) => r.requestsPerSecond)),
      p50Ms: median(list.map((r) => r.p50Ms)),
      p99Ms: median(list.map((r) => r.p99Ms)),
      errors: list.reduce((sum, r) => sum + r.errors, 0),
      requests: list.reduce((sum, r) => sum + r.requests, 0),
      cpuUsPerRequest: median(list.map((r) => r.cpuUsPerRequest)),
      systemUsPerRequest: median(list.map((r) => r.systemUsPerRequest)),
      cpuCores: median(list.map((r) => r.cpuCores)),
    });
  }
  const round = (value: number, digits = 1) => Number(value.toFixed(digits));
  const measurements: LabResult['measurements'] = {};
  for (const [label, run] of summary) {
    measurements[label] = {
      requests_per_second: Math.round(run.requestsPerSecond),
      p50_ms: round(run.p50Ms, 2),
      p99_ms: round(run.p99Ms, 2),
      cpu_us_per_request: round(run.cpuUsPerRequest),
      cpu_system_us_per_request: round(run.systemUsPerRequest),
      cpu_user_us_per_request: round(run.cpuUsPerRequest - run.systemUsPerRequest),
      cpu_share_of_one_core: round(run.cpuCores, 2),
      requests_per_core_second: Math.round(1e6 / Math.max(1, run.cpuUsPerRequest)),
      errors: run.errors,
      rounds: runs.get(label)?.length ?? 0,
      [`p50_ms_at_${LIGHT_CONNECTIONS}_connections`]: round(light.get(label)?.p50Ms ?? 0, 3),
      [`p99_ms_at_${LIGHT_CONNECTIONS}_connections`]: round(light.get(label)?.p99Ms ?? 0, 3),
    };
  }
  const nginx = summary.get('nginx');
  const tenk = summary.get('tenk') as TargetRun;
  let headline = `tenk: ${Math.round(tenk.requestsPerSecond)} req/s, p99 ${round(tenk.p99Ms, 2)} ms, ${round(tenk.cpuUsPerRequest)} us CPU/request`;
  if (nginx) {
    const ratio = tenk.requestsPerSecond / nginx.requestsPerSecond;
    const p99Ratio = tenk.p99Ms / nginx.p99Ms;
    const capacityRatio = nginx.cpuUsPerRequest / tenk.cpuUsPerRequest;
    measurements['tenk vs nginx'] = {
      requests_per_second_ratio: round(ratio, 2),
      p99_ratio: round(p99Ratio, 2),
      cpu_per_request_ratio: round(tenk.cpuUsPerRequest / nginx.cpuUsPerRequest, 2),
      capacity_per_core_ratio: round(capacityRatio, 2),
      target_requests_per_second_ratio: '>= 0.6',
      target_p99_ratio: '<= 2',
      target_cpu_us_per_request: '<= 50',
    };
    headline = `tenk served ${round(ratio, 2)}x nginx's req/s (${Math.round(tenk.requestsPerSecond)} vs ${Math.round(nginx.requestsPerSecond)}), p99 ${round(tenk.p99Ms, 2)} vs ${round(nginx.p99Ms, 2)} ms, at ${round(tenk.cpuUsPerRequest)} vs ${round(nginx.cpuUsPerRequest)} us CPU/request`;
  }
  const labels = [...summary.keys()];
  const bars = (pick: (run: TargetRun) => number) => labels.map((label) => ({ label, value: round(pick(summary.get(label) as TargetRun), 1) }));
  return {
    headline,
    measurements,
    charts: [
      { title: 'Throughput', unit: 'req/s', bars: bars((run) => run.requestsPerSecond) },
      { title: 'Latency p50 and p99', unit: 'ms', lowerIsBetter: true, bars: labels.flatMap((label) => [
        { label: `${label} p50`, value: round((summary.get(label) as TargetRun).p50Ms, 2), series: 'p50' },
        { label: `${label} p99`, value: round((summary.get(label) as TargetRun).p99Ms, 2), series: 'p99' },
      ]) },
      { title: 'CPU per request (direct: the upstream; others: the balancer)', unit: 'us', lowerIsBetter: true, bars: bars((run) => run.cpuUsPerRequest) },
    ],
    notes: [
      `${settings.tool}, ${settings.connections} keep-alive connections, GET of a 101-byte JSON body, ${settings.seconds} s per run after a warm-up, median of ${settings.rounds} interleaved rounds per target.`,
      settings.pinned
        ? `CPU ${settings.loadCpu} runs the load generator and both upstreams (one Node process), CPU ${settings.balancerCpu} runs the balancer under test (taskset). Both balancers have one worker, keepalive 64 to the upstreams, no access log${settings.accessLog ? ' (tenk: JSON access log to /dev/null, --access-log)' : ''}.`
        : 'Not pinned: taskset is missing or the machine has one CPU, so the load generator, the upstreams and the balancer compete for CPU.',
      'direct = wrk straight to one upstream: its CPU column is the upstream\'s (a Node http server), the floor every proxied request adds to.',
      'CPU per request is read from /proc (user + system time of the balancer\'s processes: nginx master + worker, tenk\'s node process) over the measured run.',
      'req/s depends on which CPU saturates first: when a balancer does not use all of its CPU (share below 1.0), the shared CPU of the load generator and upstreams is the limit, and req/s ratios understate the difference; requests_per_core_second (1e6 / CPU per request) is each balancer\'s capacity on one core.',
      `The machine is shared with other work: numbers wander by 10-20% between runs. 1-minute load average at the start ${settings.load[0].toFixed(2)}, at the end ${settings.load[1].toFixed(2)} (2 CPUs).`,
    ],
  };
}

/** Runs the load generator (pinned to the load CPU) and reads its numbers. */
async function runLoad(tool: string, url: string, connections: number, seconds: number, cpu: string | null): Promise<LoadRun> {
  if (tool === 'wrk') {
    const [command, args] = pinned(cpu, 'wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', url]);
    return parseWrk(await capture(command, args));
  }
  const bin = path.join(WORKSPACE, 'node_modules/.bin/autocannon');
  const [command, args] = pinned(cpu, bin, ['-j', '-c', String(connections), '-d', String(seconds), url]);
  const result = JSON.parse(await capture(command, args)) as { requests: { average: number; total: number }; latency: { p50: number; p99: number }; errors: number; non2xx: number };
  return { requestsPerSecond: result.requests.average, p50Ms: result.latency.p50, p99Ms: result.latency.p99, errors: result.errors + result.non2xx, requests: result.requests.total };
}

function capture(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${err || out}`))));
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
  return { requestsPerSecond: Number(rate[1]), p50Ms: latency('50'), p99Ms: latency('99'), errors: non2xx + socketErrors, requests: Number(total[1]) };
}

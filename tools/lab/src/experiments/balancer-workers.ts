import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { request } from 'undici';
import type { Experiment, LabContext, LabResult } from '../experiment';
import { cpuDeltaMs, sampleProcess } from '../process-stats';
import { interleaved, quote, roundsFor, roundsNote, summarize, type Row } from '../repeats';
import type { Chart } from '../svg-chart';
import { runLoad } from './balancer';
import { freePorts, startTenk, startUpstreams, type Child } from './balancer-processes';

/** The balancers compared: one process, and two workers with either way of sharing the socket. */
const VARIANTS = [
  { label: '1 process', workers: 1, acceptMutex: false, zone: true },
  { label: '2 workers, accept_mutex off (SCHED_NONE)', workers: 2, acceptMutex: false, zone: true },
  { label: '2 workers, accept_mutex on (SCHED_RR)', workers: 2, acceptMutex: true, zone: true },
  { label: '2 workers, accept_mutex off, no zone', workers: 2, acceptMutex: false, zone: false },
] as const;
type Label = (typeof VARIANTS)[number]['label'];

const MODES = [
  { name: 'keep-alive', newConnections: false },
  { name: 'new connection per request', newConnections: true },
] as const;

function config(port: number, adminPort: number, upstreams: number[], variant: (typeof VARIANTS)[number]): string {
  const { workers, acceptMutex, zone } = variant;
  return `worker_processes ${workers};
events { accept_mutex ${acceptMutex ? 'on' : 'off'}; }
admin_listen 127.0.0.1:${adminPort};
access_log off;
upstream api {
  ${zone ? 'zone api 64k;' : ''}
  least_conn;
  ${upstreams.map((p) => `server 127.0.0.1:${p};`).join('\n  ')}
  keepalive 64;
}
server {
  listen 127.0.0.1:${port};
  location / { proxy_pass http://api; }
}
`;
}

/**
 * `npm run lab -- balancer-workers`: tenk with `worker_processes 1`, and with 2 workers under
 * each scheduling policy (accept_mutex off = node:cluster's SCHED_NONE, the kernel spreads
 * accepts; on = SCHED_RR, the primary accepts and hands connections over), in front of the
 * same two upstreams, under wrk with keep-alive connections and with a new connection per
 * request. Per variant: CPU per request of all its processes (from /proc), the primary's
 * share of it, how many cores they used, and how evenly the workers shared the requests. Not
 * pinned: the point is whether two workers use more than one core. The upstream runs
 * `least_conn` in a `zone` (so the shared in-flight counts' IPC is part of the cost), and once
 * without the zone, to tell that cost apart.
 */
export const balancerWorkersExperiment: Experiment = {
  name: 'balancer-workers',
  summary: 'worker_processes 1 vs 2 (accept_mutex off/on): CPU per request, the primary share, cores used, spread over workers',
  async run(context: LabContext): Promise<LabResult> {
    const seconds = context.quick ? context.seconds(8, 2) : context.option('seconds', 8);
    const warmup = context.seconds(2, 1);
    const rounds = roundsFor(context);
    const connections = context.option('connections', 64);
    const tool = spawnSync('wrk', ['--version']).error ? 'autocannon' : 'wrk';
    const modes = tool === 'wrk' ? MODES : MODES.slice(0, 1);
    const [upA, upB, ...ports] = await freePorts(2 + VARIANTS.length * 2);
    const started: Child[] = [];
    const measurements: LabResult['measurements'] = {};
    try {
      started.push(await startUpstreams('fast', [upA, upB], null));
      const targets = new Map<Label, { child: Child; url: string; admin: string }>();
      for (const [i, variant] of VARIANTS.entries()) {
        const [port, admin] = [ports[i * 2], ports[i * 2 + 1]];
        const child = await startTenk(null, config(port, admin, [upA, upB], variant), port, admin);
        started.push(child);
        targets.set(variant.label, { child, url: `http://127.0.0.1:${port}/`, admin: `http://127.0.0.1:${admin}` });
      }
      for (const mode of modes) {
        const runs = await interleaved(
          rounds,
          VARIANTS.map((variant) => variant.label),
          async (label, round) => {
            const target = targets.get(label);
            if (target === undefined) throw new Error(`no target for ${label}`);
            await runLoad(tool, target.url, connections, warmup, null, mode.newConnections);
            const pids = target.child.pids();
            const before = pids.map(sampleProcess);
            const requestsBefore = await workerRequests(target.admin);
            const load = await runLoad(tool, target.url, connections, seconds, null, mode.newConnections);
            const after = pids.map(sampleProcess);
            const requestsAfter = await workerRequests(target.admin);
            const requests = Math.max(1, load.requests);
            const cpuMs = cpuDeltaMs(before, after);
            const perProcessCores = pids.map((_, i) => (after[i].cpuMs - before[i].cpuMs) / (seconds * 1000));
            const served = requestsAfter.map((count, i) => count - (requestsBefore[i] ?? 0));
            const row: Row = {
              cpu_us_per_request: roundTo((cpuMs * 1000) / requests),
              primary_cpu_us_per_request: pids.length > 1 ? roundTo(((after[0].cpuMs - before[0].cpuMs) * 1000) / requests) : 0,
              cores_used: roundTo(cpuMs / (seconds * 1000), 2),
              busiest_process_cores: roundTo(Math.max(...perProcessCores), 2),
              requests_per_second: Math.round(load.requestsPerSecond),
              p99_ms: roundTo(load.p99Ms, 2),
              errors: load.errors,
              // Share of the requests the busiest worker served (0.5 = even over 2 workers).
              busiest_worker_share: served.length > 1 ? roundTo(Math.max(...served) / Math.max(1, sum(served)), 2) : 1,
            };
            context.log(
              `${mode.name}, round ${round}, ${label}: ${row.cpu_us_per_request} us CPU/request (primary ${row.primary_cpu_us_per_request}), ${row.cores_used} cores, ${row.requests_per_second} req/s, busiest worker ${row.busiest_worker_share}`,
            );
            return row;
          },
        );
        for (const variant of VARIANTS) measurements[`${mode.name}: ${variant.label}`] = summarize(runs[variant.label]);
      }
    } finally {
      for (const child of started.reverse()) await child.stop();
    }
    const key = (mode: string, label: Label) => measurements[`${mode}: ${label}`];
    const [one, off, on, noZone] = VARIANTS.map((variant) => key('keep-alive', variant.label));
    const charts: Chart[] = modes.flatMap((mode) => [
      {
        title: `CPU per request, ${mode.name} (all processes)`,
        unit: 'µs',
        lowerIsBetter: true,
        bars: VARIANTS.map((variant) => ({ label: variant.label, value: Number(key(mode.name, variant.label).cpu_us_per_request) })),
      },
      {
        title: `Cores used, ${mode.name}`,
        unit: 'cores',
        bars: VARIANTS.map((variant) => ({ label: variant.label, value: Number(key(mode.name, variant.label).cores_used) })),
      },
    ]);
    return {
      headline: `keep-alive: 1 process used ${quote(one, 'cores_used')} cores at ${quote(one, 'requests_per_second')} req/s; 2 workers ${quote(off, 'cores_used')} (accept_mutex off) and ${quote(on, 'cores_used')} (on) cores, ${quote(off, 'cpu_us_per_request', ' µs')} vs ${quote(one, 'cpu_us_per_request', ' µs')} CPU per request (${quote(noZone, 'cpu_us_per_request', ' µs')} without the zone)`,
      measurements,
      charts,
      notes: [
        `${tool}, ${connections} connections, ${seconds} s per run, not pinned, ${os.cpus().length} CPUs; two fast upstreams (least_conn, in a zone except where the label says)`,
        roundsNote(rounds),
        'cpu_us_per_request counts every process of the balancer (primary and workers); primary_cpu_us_per_request is the primary alone (it accepts and hands over connections with accept_mutex on, and relays zone state)',
      ],
    };
  },
};

/** Requests each worker has served, from the admin's /status (one entry with one process). */
async function workerRequests(admin: string): Promise<number[]> {
  const response = await request(`${admin}/status`);
  const status = (await response.body.json()) as {
    requests: { total: number };
    workers?: { list: Array<{ index: number; requests: number }> };
  };
  return status.workers
    ? [...status.workers.list].sort((a, b) => a.index - b.index).map((worker) => worker.requests)
    : [status.requests.total];
}

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
const roundTo = (value: number, digits = 1) => Number(value.toFixed(digits));

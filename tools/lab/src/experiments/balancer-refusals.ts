import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { request } from 'undici';
import type { Experiment, LabContext, LabResult } from '../experiment';
import { cpuDeltaMs, sampleProcess } from '../process-stats';
import { interleaved, quote, roundsFor, roundsNote, summarize, type Row } from '../repeats';
import type { Chart } from '../svg-chart';
import { runLoad } from './balancer';
import { profileShares, readProfile, type CpuProfile } from './balancer-profile';
import { freePorts, LAB_CONTROL_TOKEN, pinning, shopConfigFile, startTenkFile, startUpstreams, type Child } from './balancer-processes';
import { controlHeaders } from '@tenk/control-plane';

/** The shop's balancer config as shipped, and the same without its access log. */
const VARIANTS = ['shop config', 'shop config, access_log off'] as const;
type Variant = (typeof VARIANTS)[number];

/** What holds every slot: max_conns=64 on each of the 2 peers, and the shipped queue (512). */
const SLOTS = 128;
const PATH = '/products?limit=20';

/**
 * `npm run lab -- balancer-refusals`: what one refusal by admission control (503 + Retry-After,
 * the queue full) costs the balancer. The shop's own balancer config (apps/balancer/conf), its
 * queue's timeout and the read timeout stretched so that requests sent first to two peers that
 * never answer hold every max_conns slot and fill the queue; then wrk's keep-alive clients (the
 * hammering crowd of the overload experiment) get nothing but refusals. Per variant: the
 * balancer's CPU per refusal (from /proc) and refusals per CPU-second, the balancer pinned to
 * one CPU and wrk to the other. `--profile`: the first variant's balancer runs under
 * `--cpu-prof`, and the result adds where its CPU went (by component, and its busiest functions).
 */
export const balancerRefusalsExperiment: Experiment = {
  name: 'balancer-refusals',
  summary: "admission control's refusal path: the balancer's CPU per 503 + Retry-After, refusals per CPU-second",
  async run(context: LabContext): Promise<LabResult> {
    const seconds = context.quick ? context.seconds(8, 2) : context.option('seconds', 8);
    const rounds = roundsFor(context);
    const connections = context.option('connections', 256);
    const cpus = pinning();
    const loadCpu = cpus.available ? cpus.loadCpu : null;
    const balancerCpu = cpus.available ? cpus.balancerCpu : null;
    const [upA, upB, ...ports] = await freePorts(2 + VARIANTS.length * 2);
    const started: Child[] = [];
    const holders: http.ClientRequest[] = [];
    const targets = new Map<Variant, { child: Child; url: string; admin: string }>();
    const profileDir = context.flag('profile') ? mkdtempSync(path.join(os.tmpdir(), 'tenk-lab-refusals-prof-')) : null;
    let details: Record<string, unknown> | undefined;
    try {
      started.push(await startUpstreams('hold', [upA, upB], loadCpu));
      for (const [i, variant] of VARIANTS.entries()) {
        const [port, admin] = [ports[i * 2], ports[i * 2 + 1]];
        const file = shopConfigFile([upA, upB]);
        let text = readFileSync(file, 'utf8')
          .replace(/^(\s*queue\s+\d+)\s+timeout=\S+;/m, '$1 timeout=600s;')
          .replace(/^(\s*proxy_read_timeout)\s+\S+;/m, '$1 600s;');
        if (variant.includes('access_log off')) text = text.replace(/^(\s*)access_log\s+[^;]*;/m, '$1access_log off;');
        writeFileSync(file, text);
        const profiled = profileDir !== null && i === 0;
        const child = await startTenkFile(balancerCpu, file, port, admin, true, {
          nodeArgs: profiled ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
        });
        started.push(child);
        const target = { child, url: `http://127.0.0.1:${port}${PATH}`, admin: `http://127.0.0.1:${admin}` };
        targets.set(variant, target);
        const queueSize = Number(/^\s*queue\s+(\d+)/m.exec(text)?.[1] ?? 0);
        for (let n = 0; n < SLOTS + queueSize; n++) holders.push(hold(port));
        await waitUntilFull(target.admin, SLOTS, queueSize);
        context.log(`${variant}: ${SLOTS} slots held and ${queueSize} waiting: every other request is refused`);
      }
      const runs = await interleaved(rounds, VARIANTS, async (variant, round) => {
        const target = targets.get(variant) as { child: Child; url: string; admin: string };
        const pids = target.child.pids();
        const refusedBefore = await refused(target.admin);
        const before = pids.map(sampleProcess);
        const load = await runLoad('wrk', target.url, connections, seconds, loadCpu);
        const after = pids.map(sampleProcess);
        const refusals = (await refused(target.admin)) - refusedBefore;
        const cpuMs = cpuDeltaMs(before, after);
        const row: Row = {
          refusals,
          refusals_per_s: Math.round(refusals / seconds),
          balancer_cpu_us_per_refusal: roundTo((cpuMs * 1000) / Math.max(1, refusals)),
          refusals_per_cpu_second: Math.round(refusals / Math.max(0.001, cpuMs / 1000)),
          balancer_cores: roundTo(cpuMs / (seconds * 1000), 2),
          p50_ms: roundTo(load.p50Ms, 2),
          p99_ms: roundTo(load.p99Ms, 2),
          // Answers other than the refusals (none expected: every slot and queue place is held).
          not_refused: Math.max(0, load.requests - refusals),
        };
        context.log(
          `round ${round}, ${variant}: ${row.refusals_per_s} refusals/s, ${row.balancer_cpu_us_per_refusal} µs CPU each (${row.refusals_per_cpu_second} per CPU-second), ${row.balancer_cores} cores, p99 ${row.p99_ms} ms`,
        );
        return row;
      });
      if (profileDir !== null) {
        // The profile is written when the balancer exits: let the held requests go first, so it
        // drains at once (within stop()'s 5 s, after which it is killed and writes nothing).
        for (const holder of holders) holder.destroy();
        await targets.get(VARIANTS[0])?.child.stop();
        const profile = readProfile(profileDir);
        details = { profile: { variant: VARIANTS[0], shares: profileShares(profile), topFunctions: topFunctions(profile, 25) } };
        context.log(`${VARIANTS[0]} profile: ${JSON.stringify(details.profile)}`);
      }
      const measurements: LabResult['measurements'] = {};
      for (const variant of VARIANTS) measurements[variant] = summarize(runs[variant]);
      const [shop, noLog] = VARIANTS.map((variant) => measurements[variant]);
      const charts: Chart[] = [
        {
          title: 'Balancer CPU per refusal (503 + Retry-After, queue full)',
          unit: 'µs',
          lowerIsBetter: true,
          bars: VARIANTS.map((variant) => ({ label: variant, value: Number(measurements[variant].balancer_cpu_us_per_refusal) })),
        },
        {
          title: 'Refusals per CPU-second of the balancer',
          unit: '/s',
          bars: VARIANTS.map((variant) => ({ label: variant, value: Number(measurements[variant].refusals_per_cpu_second) })),
        },
      ];
      return {
        headline: `a refusal costs the balancer ${quote(shop, 'balancer_cpu_us_per_refusal', ' µs')} of CPU (${quote(shop, 'refusals_per_cpu_second')} refusals per CPU-second) with the shop's config, ${quote(noLog, 'balancer_cpu_us_per_refusal', ' µs')} without its access log`,
        measurements,
        charts,
        details,
        notes: [
          `wrk, ${connections} keep-alive connections, ${seconds} s per run, GET ${PATH}; ${cpus.available ? `balancer on CPU ${cpus.balancerCpu}, wrk and the peers on CPU ${cpus.loadCpu}` : 'not pinned (fewer than 2 CPUs or no taskset)'}`,
          `The shop's balancer config (apps/balancer/conf: least_conn, max_conns=64 on each of 2 peers, queue 512, JSON access log to stdout) with the queue's timeout and proxy_read_timeout set to 600 s, so the ${SLOTS} requests sent first to peers that never answer hold every slot and the next 512 fill the queue: each measured request is refused at once because the queue is full (tenk_balancer_upstream_refused_total{reason="queue_full"}).`,
          'balancer_cpu_us_per_refusal: the balancer process CPU (user + system, /proc) over the run, per refusal counted by its own metrics; refusals_per_cpu_second is its inverse. The kernel work of the loopback connections is in it; wrk runs on the other CPU.',
          roundsNote(rounds),
        ],
      };
    } finally {
      for (const holder of holders) holder.destroy();
      for (const child of started.reverse()) await child.stop();
    }
  },
};

/** A request that a never-answering peer, or the queue, keeps waiting: one connection each. */
function hold(port: number): http.ClientRequest {
  const req = http.request({ host: '127.0.0.1', port, path: PATH, agent: false });
  req.on('error', () => undefined);
  req.end();
  return req;
}

async function waitUntilFull(admin: string, slots: number, queueSize: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const admission = await admissionOf(admin);
    if (admission !== undefined && admission.inFlight >= slots && (admission.queue?.waiting ?? 0) >= queueSize) return;
    if (Date.now() > deadline) throw new Error(`the balancer's slots and queue did not fill: ${JSON.stringify(admission)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function admissionOf(admin: string): Promise<{ inFlight: number; queue: { waiting: number } | null } | undefined> {
  const response = await request(`${admin}/status`, { headers: controlHeaders(LAB_CONTROL_TOKEN) });
  const status = (await response.body.json()) as {
    upstreams?: Array<{ name: string; admission?: { inFlight: number; queue: { waiting: number } | null } }>;
  };
  return status.upstreams?.find((upstream) => upstream.name === 'api')?.admission;
}

/** Every refusal admission control made (tenk_balancer_upstream_refused_total, all reasons). */
async function refused(admin: string): Promise<number> {
  const response = await request(`${admin}/metrics`, { headers: controlHeaders(LAB_CONTROL_TOKEN) });
  const text = await response.body.text();
  let total = 0;
  for (const match of text.matchAll(/^tenk_balancer_upstream_refused_total\{[^}]*\} (\d+(?:\.\d+)?)$/gm)) total += Number(match[1]);
  return total;
}

/** The functions with the most self time (share of busy time), as `name url:line`. */
function topFunctions(profile: CpuProfile, count: number): Array<{ fn: string; share: number }> {
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const totals = new Map<string, number>();
  let busy = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const frame = byNode.get(profile.samples[i])?.callFrame;
    if (frame === undefined || frame.functionName === '(idle)') continue;
    const delta = profile.timeDeltas[i] ?? 0;
    const key = `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*\/(apps|node_modules)\//, '$1/')}`;
    totals.set(key, (totals.get(key) ?? 0) + delta);
    busy += delta;
  }
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([fn, time]) => ({ fn, share: roundTo(time / Math.max(1, busy), 3) }));
}

const roundTo = (value: number, digits = 1) => Number(value.toFixed(digits));

import os from 'node:os';
import { request } from 'undici';
import { controlHeaders } from '@tenk/control-plane';
import type { Experiment, LabContext, LabResult } from '../experiment';
import { freePorts, LAB_CONTROL_TOKEN, startTenk, startUpstreams, tenkConfig, type Child } from './balancer-processes';
import { percentile, runOpenLoop } from './open-loop';
import { interleaved, quote, roundsFor, summarize, type Row } from '../repeats';

const ALGORITHMS = [
  { label: 'round-robin', body: 'round_robin' },
  { label: 'least_conn', body: 'least_conn' },
  { label: 'P2C (random two)', body: 'random two least_conn' },
] as const;

/**
 * `npm run lab -- balancer-algorithms`: eight single-worker upstreams (each serves one request
 * at a time, like a Node process busy with CPU work), behind tenk. 10% of the requests are
 * 50x heavier (50 ms of service vs 1 ms). An open-loop load at 45% of the upstreams' capacity
 * runs per algorithm (switched through the admin API between runs), the three interleaved
 * over `--rounds` rounds (3); what differs is how often a light request waits behind a heavy
 * one: the light requests' p99 (median of the rounds, with its spread).
 */
export const balancerAlgorithmsExperiment: Experiment = {
  name: 'balancer-algorithms',
  summary: '10% of requests 50x heavier: p99 of the light ones under round-robin vs least_conn vs P2C',
  async run(context: LabContext): Promise<LabResult> {
    const seconds = context.seconds(45, 3);
    const lightMs = context.option('light-ms', 1);
    const heavyMs = context.option('heavy-ms', 50);
    const heavyShare = context.option('heavy-share', 0.1);
    const servers = context.option('servers', 8);
    const meanServiceMs = (1 - heavyShare) * lightMs + heavyShare * heavyMs;
    const capacity = (servers * 1000) / meanServiceMs;
    // Under half busy: the heavy requests are 85% of the work, and above that the moments when
    // every upstream is busy with one decide the p99 whatever the algorithm.
    const rate = context.option('rate', Math.round(capacity * context.option('busy', 0.45)));
    context.log(
      `${servers} single-worker upstreams, light ${lightMs} ms, heavy ${heavyMs} ms (${heavyShare * 100}%): capacity ~${Math.round(capacity)} req/s; offering ${rate} req/s (${Math.round((rate / capacity) * 100)}% busy) for ${seconds} s per algorithm`,
    );

    const ports = await freePorts(servers + 2);
    const upstreamPorts = ports.slice(0, servers);
    const [port, adminPort] = ports.slice(servers);
    const started: Child[] = [];
    const loadBefore = os.loadavg()[0];
    const results: Record<string, Row> = {};
    const rounds = roundsFor(context);
    try {
      started.push(await startUpstreams('queue', upstreamPorts, null));
      started.push(await startTenk(null, tenkConfig(port, adminPort, upstreamPorts), port, adminPort));
      const labels = ALGORITHMS.map((algorithm) => algorithm.label);
      const runs = await interleaved(
        rounds,
        labels,
        async (label): Promise<Row> => {
          const algorithm = ALGORITHMS.find((candidate) => candidate.label === label) as (typeof ALGORITHMS)[number];
          const switched = await request(`http://127.0.0.1:${adminPort}/upstreams/api/algorithm`, {
            method: 'PUT',
            headers: controlHeaders(LAB_CONTROL_TOKEN),
            body: JSON.stringify({ algorithm: algorithm.body }),
          });
          const answer = await switched.body.text();
          if (switched.statusCode !== 200) throw new Error(`switching to ${algorithm.body} failed: ${answer}`);
          const run = () =>
            runOpenLoop({
              origins: [`http://127.0.0.1:${port}`],
              clients: 20,
              streams: [
                { name: 'light', ratePerSecond: rate * (1 - heavyShare), next: () => ({ path: `/work?ms=${lightMs}`, method: 'GET' }) },
                { name: 'heavy', ratePerSecond: rate * heavyShare, next: () => ({ path: `/work?ms=${heavyMs}`, method: 'GET' }) },
              ],
              durationMs: seconds * 1000,
              timeoutMs: 30_000,
              maxInFlight: 10_000,
            });
          await runOpenLoop({
            origins: [`http://127.0.0.1:${port}`],
            clients: 5,
            streams: [{ name: 'warm', ratePerSecond: 100, next: () => ({ path: '/work?ms=0', method: 'GET' }) }],
            durationMs: 1000,
            timeoutMs: 10_000,
            maxInFlight: 1000,
          });
          const { samples } = await run();
          const ok = (stream: string) => samples.filter((s) => s.stream === stream && s.status === 200).map((s) => s.latencyMs);
          const light = ok('light');
          const heavy = ok('heavy');
          const errors = samples.filter((s) => s.status !== 200).length;
          const row: Row = {
            light_p50_ms: Number(percentile(light, 50).toFixed(2)),
            light_p90_ms: Number(percentile(light, 90).toFixed(2)),
            light_p99_ms: Number(percentile(light, 99).toFixed(2)),
            light_p999_ms: Number(percentile(light, 99.9).toFixed(2)),
            heavy_p99_ms: Number(percentile(heavy, 99).toFixed(2)),
            requests: samples.length,
            errors,
          };
          context.log(
            `${algorithm.label}: light p50 ${row.light_p50_ms} ms, p90 ${row.light_p90_ms} ms, p99 ${row.light_p99_ms} ms; heavy p99 ${row.heavy_p99_ms} ms; ${samples.length} requests, ${errors} errors`,
          );
          return row;
        },
        context.log,
      );
      for (const label of labels) results[label] = summarize(runs[label]);
    } finally {
      for (const child of started.reverse()) await child.stop();
    }
    const rr = Number(results['round-robin'].light_p99_ms);
    const lc = Number(results['least_conn'].light_p99_ms);
    const p99 = (label: string) => quote(results[label], 'light_p99_ms', 'ms');
    return {
      headline: `p99 of the light requests: round-robin ${p99('round-robin')}, least_conn ${p99('least_conn')}, P2C ${p99('P2C (random two)')} (${(rr / Math.max(0.001, lc)).toFixed(1)}x lower with least_conn; median of ${rounds} round${rounds === 1 ? '' : 's'})`,
      measurements: {
        ...results,
        settings: {
          servers,
          light_ms: lightMs,
          heavy_ms: heavyMs,
          heavy_share: heavyShare,
          offered_requests_per_second: rate,
          capacity_requests_per_second: Math.round(capacity),
          seconds,
          rounds,
        },
      },
      charts: [
        {
          title: 'Light requests (1 ms of work): latency by algorithm',
          unit: 'ms',
          lowerIsBetter: true,
          bars: ALGORITHMS.flatMap((algorithm) => [
            { label: `${algorithm.label} p50`, value: Number(results[algorithm.label].light_p50_ms), series: 'p50' },
            { label: `${algorithm.label} p90`, value: Number(results[algorithm.label].light_p90_ms), series: 'p90' },
            { label: `${algorithm.label} p99`, value: Number(results[algorithm.label].light_p99_ms), series: 'p99' },
          ]),
        },
        {
          title: 'Heavy requests (50 ms of work): p99',
          unit: 'ms',
          lowerIsBetter: true,
          bars: ALGORITHMS.map((algorithm) => ({ label: algorithm.label, value: Number(results[algorithm.label].heavy_p99_ms) })),
        },
      ],
      notes: [
        `${servers} upstreams, each serving one request at a time from a FIFO queue (service time is a timer, so the 2-core machine is not the bottleneck); ${Math.round((1 - heavyShare) * 100)}% of requests take ${lightMs} ms, ${Math.round(heavyShare * 100)}% take ${heavyMs} ms.`,
        `${rounds} round${rounds === 1 ? '' : 's'}, the three algorithms interleaved in each: every number is the median of the rounds, <key>_min and <key>_max its spread.`,
        `Open loop (arrivals do not wait for answers) at ${rate} req/s from 20 client addresses, about ${Math.round((rate / capacity) * 100)}% of the upstreams' capacity; tenk with keepalive 64, algorithm switched through PUT /upstreams/api/algorithm between runs.`,
        `round-robin sends every ${servers}th request to each peer whatever is queued there, so a light request often waits behind one or more 50 ms requests; least_conn sees every queue (requests in flight) and goes around them; P2C looks at two peers per request, so it sometimes picks the lesser of two busy ones.`,
        'The heavy requests are 85% of the work: with more load, the moments when every upstream is serving a heavy request grow, and then no algorithm can keep a light request from waiting (try --busy 0.66).',
        `1-minute load average at the start ${loadBefore.toFixed(2)}, at the end ${os.loadavg()[0].toFixed(2)} (2 CPUs; the upstreams' service times are timers, so this experiment is not sensitive to it).`,
      ],
    };
  },
};

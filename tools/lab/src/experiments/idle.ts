import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Experiment } from '../experiment';
import { LAB_ENV, startLabShop, waitForFreeLabPorts } from '../lab-shop';
import { sampleProcess } from '../process-stats';
import { interleaved, quote, roundsFor, roundsNote, summarize, type Row } from '../repeats';

/** The shop's own services: what "idle" is about (payment-sim and the map are tools beside it). */
const SERVICES = ['balancer', 'api-1', 'api-2', 'mailer', 'reports', 'media-worker'] as const;

/** Issue 14's bar: an idle api instance uses under 1% of a core, i.e. 10,000 µs of CPU per second. */
export const IDLE_TARGET_US_PER_S = 10_000;

/**
 * `npm run lab -- idle`: what the shop costs when nobody uses it. The lab shop as `npm start`
 * runs it (two api instances behind the balancer, the mailer, reports and the media worker),
 * left alone after a first request through the balancer (so the pollers that start with the
 * first catalog read run too) and a settling pause; then CPU per process from /proc/PID/stat
 * over `--seconds` (20) per round, 3 rounds, as µs of CPU per second of wall time (10,000 µs/s is
 * 1% of a core). The only traffic is the balancer's own health checks of the api instances.
 */
export const idleExperiment: Experiment = {
  name: 'idle',
  summary: 'CPU of each idle shop process (balancer, api, mailer, reports, media-worker) in µs per second; target: api < 1% of a core',
  async run(context) {
    const rounds = roundsFor(context);
    const seconds = context.option('seconds', context.quick ? 2 : 20);
    const settleSeconds = context.quick ? 2 : 10;
    await waitForFreeLabPorts(context);
    const shop = await startLabShop(context, { apiInstances: 2 });
    let row: Row;
    try {
      // One catalog read through the balancer: the replica monitor, the shard map refresh and the
      // like start on first use, and an idle shop is one that has served before.
      const first = await fetch(`${shop.urls.shop}/products?limit=1`);
      await first.arrayBuffer();
      if (first.status !== 200) throw new Error(`GET /products answered ${first.status}: is the catalog seeded (npm run migrate)?`);
      context.log(`settling for ${settleSeconds} s (the first request's pollers back off, connections settle)`);
      await sleep(settleSeconds * 1_000);
      const pids = Object.fromEntries(
        SERVICES.map((name) => {
          const pid = shop.process(name).pid;
          if (pid === undefined) throw new Error(`the lab shop's ${name} has no pid`);
          return [name, pid];
        }),
      );
      const runs = await interleaved(
        rounds,
        ['idle'] as const,
        async () => {
          const before = Object.fromEntries(
            SERVICES.map((name) => [name, { cpuMs: sampleProcess(pids[name]).cpuMs, wakeups: wakeups(pids[name]) }]),
          );
          const started = performance.now();
          await sleep(seconds * 1_000);
          const wallS = (performance.now() - started) / 1_000;
          const run: Row = {};
          for (const name of SERVICES) {
            run[`${name}_us_per_s`] = Math.round(((sampleProcess(pids[name]).cpuMs - before[name].cpuMs) * 1_000) / wallS);
            run[`${name}_wakeups_per_s`] = Math.round((wakeups(pids[name]) - before[name].wakeups) / wallS);
          }
          run['shop_us_per_s'] = SERVICES.reduce((total, name) => total + (run[`${name}_us_per_s`] as number), 0);
          return run;
        },
        (line) => context.log(line),
      );
      row = summarize(runs.idle);
      // The busier instance by its median over the rounds (and that instance's spread): one
      // round where the whole machine hiccups moves a median, not the figure.
      const busier = (row['api-1_us_per_s'] as number) >= (row['api-2_us_per_s'] as number) ? 'api-1' : 'api-2';
      row['api_us_per_s'] = row[`${busier}_us_per_s`];
      if (row[`${busier}_us_per_s_min`] !== undefined) {
        row['api_us_per_s_min'] = row[`${busier}_us_per_s_min`];
        row['api_us_per_s_max'] = row[`${busier}_us_per_s_max`];
      }
      row['api_busier'] = busier;
    } finally {
      await shop.stop();
    }
    const percent = (value: number) => `${(value / 10_000).toFixed(2)}%`;
    const api = row['api_us_per_s'] as number;
    return {
      headline: `idle, CPU per second of wall time: an api instance ${quote(row, 'api_us_per_s', 'µs/s')} (${percent(api)} of a core; target < ${percent(IDLE_TARGET_US_PER_S)}: ${api < IDLE_TARGET_US_PER_S ? 'met' : 'not met'}), the whole shop ${quote(row, 'shop_us_per_s', 'µs/s')} (${roundsNote(rounds)})`,
      measurements: {
        idle: row,
        target: { api_us_per_s: IDLE_TARGET_US_PER_S, met: api < IDLE_TARGET_US_PER_S ? 'yes' : 'no' },
      },
      charts: [
        {
          title: `CPU of each idle process, µs per second (target for an api instance: < ${IDLE_TARGET_US_PER_S.toLocaleString('en-US')})`,
          unit: 'µs/s',
          lowerIsBetter: true,
          bars: SERVICES.map((name) => ({ label: name, value: row[`${name}_us_per_s`] as number })),
        },
        {
          title: 'Wakeups of each idle process per second (voluntary context switches, all threads)',
          unit: '/s',
          lowerIsBetter: true,
          bars: SERVICES.map((name) => ({ label: name, value: row[`${name}_wakeups_per_s`] as number })),
        },
      ],
      notes: [
        `the lab shop (2 api instances behind the balancer with its shipped config, mailer, reports, media-worker; logs at the lab's level ${LAB_ENV['TENK_LOG_LEVEL']}, tracing off), one GET /products through the balancer, ${settleSeconds} s of settling, then ${seconds} s per round with no requests but the balancer's health checks; ${rounds} round(s), each figure the median, <key>_min/_max its spread.`,
        'CPU is user + system time from /proc/PID/stat (10 ms ticks: over 20 s a figure is good to about 500 µs/s), per second of wall time: 10,000 µs/s is 1% of a core. api_us_per_s is the median of the busier api instance (api_busier), with the spread of that instance; shop_us_per_s the sum of the six processes, per round.',
        '<process>_wakeups_per_s: voluntary context switches of all its threads (/proc/PID/task/*/status) per second: how often it went to sleep and was woken (a timer, a socket), which costs CPU on its own, in the kernel. It does not depend on how busy the machine is.',
      ],
    };
  },
};

/** Voluntary context switches of every thread of a process so far: each is one sleep and wakeup. */
function wakeups(pid: number): number {
  let total = 0;
  for (const thread of readdirSync(`/proc/${pid}/task`)) {
    try {
      const match = /^voluntary_ctxt_switches:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/task/${thread}/status`, 'utf8'));
      total += Number(match?.[1] ?? 0);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return total;
}

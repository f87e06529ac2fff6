import { Agent, request } from 'undici';
import type { Experiment, LabContext } from '../experiment';
import { labProductIds, startLabShop, waitForFreeLabPorts, LAB_ENV } from '../lab-shop';
import { cpuDeltaMs, sampleProcess } from '../process-stats';
import { interleaved, quote, roundsFor, roundsNote, summarize, type Row } from '../repeats';

const VARIANTS = ['off', 'on-5pct', 'on-100pct'] as const;
type Variant = (typeof VARIANTS)[number];

/** The cached catalog page every request reads (a cache hit after the first). */
const PATH = '/products?limit=20';
const CONCURRENCY = 8;

/**
 * What tracing costs on the hot path (issue 18's budget: at most 20 µs of CPU per cached
 * catalog GET, balancer + api, at the default ratio): the same closed-loop load through the
 * balancer to one api instance with tracing off, on at 5% (NODE_ENV=production's default
 * ratio) and on at 100% (development's), CPU charged to the balancer's and the api's processes
 * from /proc. Spans go to tools/infra's Jaeger, which must run.
 */
export const tracingExperiment: Experiment = {
  name: 'tracing',
  summary: 'CPU per cached catalog GET (balancer + api) with tracing off, on at 5%, on at 100%',
  async run(context) {
    const jaeger = context.config.tracing.jaeger;
    const up = await fetch(`http://127.0.0.1:${jaeger.uiPort}/api/services`, { signal: AbortSignal.timeout(2_000) }).then(
      (response) => response.ok,
      () => false,
    );
    if (!up) throw new Error(`Jaeger does not answer on :${jaeger.uiPort}: npm run infra -- up jaeger`);
    const rounds = roundsFor(context);
    const seconds = context.seconds(15, 3);
    const runs = await interleaved(
      rounds,
      VARIANTS,
      (variant) => measure(context, variant, seconds, `http://127.0.0.1:${jaeger.otlpPort}`),
      (line) => context.log(line),
    );
    const rows = Object.fromEntries(VARIANTS.map((variant) => [variant, summarize(runs[variant])])) as Record<Variant, Row>;
    const added = (variant: Variant, key = 'cpu_us_per_request') =>
      Math.round(((rows[variant][key] as number) - (rows.off[key] as number)) * 10) / 10;
    return {
      headline: `tracing adds ${added('on-5pct')} µs of CPU per cached catalog GET (balancer + api) at 5% sampling and ${added('on-100pct')} µs at 100%, over ${quote(rows.off, 'cpu_us_per_request', 'µs')} with it off (${roundsNote(rounds)})`,
      measurements: {
        ...rows,
        added: {
          'on-5pct_us': added('on-5pct'),
          'on-100pct_us': added('on-100pct'),
          'on-5pct_balancer_us': added('on-5pct', 'balancer_cpu_us_per_request'),
          'on-5pct_api_us': added('on-5pct', 'api_cpu_us_per_request'),
        },
      },
      charts: [
        {
          title: 'CPU per cached catalog GET, balancer + api (µs)',
          unit: 'µs',
          lowerIsBetter: true,
          bars: VARIANTS.map((variant) => ({ label: variant, value: rows[variant]['cpu_us_per_request'] as number })),
        },
      ],
      notes: [
        `${CONCURRENCY} concurrent clients, ${seconds} s per run, GET ${PATH} (a cache hit), one api instance; a new lab shop per run`,
      ],
    };
  },
};

async function measure(context: LabContext, variant: Variant, seconds: number, endpoint: string): Promise<Row> {
  await waitForFreeLabPorts(context);
  const env: Record<string, string> =
    variant === 'off'
      ? { TENK_OTLP_ENDPOINT: 'off' }
      : { TENK_OTLP_ENDPOINT: endpoint, TENK_TRACE_SAMPLE_RATIO: variant === 'on-5pct' ? '0.05' : '1' };
  const shop = await startLabShop(context, { apiInstances: 1, env });
  const agent = new Agent({ connections: CONCURRENCY, keepAliveTimeout: 10_000 });
  try {
    const origin = `http://127.0.0.1:${LAB_ENV['TENK_BALANCER_PORT']}`;
    const pid = (name: string) => {
      const found = shop.process(name).pid;
      if (found === undefined) throw new Error(`the lab shop's ${name} has no pid`);
      return found;
    };
    const pids = [pid('balancer'), pid('api-1')];
    // Warm up: the page is cached, the connections open, the code hot.
    await labProductIds(origin);
    await load(agent, origin, 2_000);
    const before = pids.map(sampleProcess);
    const { count, errors } = await load(agent, origin, seconds * 1_000);
    const after = pids.map(sampleProcess);
    // CPU per request means nothing if the requests were refused: say so rather than record it.
    if (errors > count / 100)
      throw new Error(`${errors} of ${count + errors} GET ${PATH} did not answer 200 (${variant}): the measurement is not of a cache hit`);
    const perRequest = (cpuMs: number) => Math.round((cpuMs * 1_000 * 10) / Math.max(1, count)) / 10;
    return {
      cpu_us_per_request: perRequest(cpuDeltaMs(before, after)),
      // Each process apart: which one tracing costs (the sum is the figure above).
      balancer_cpu_us_per_request: perRequest(cpuDeltaMs([before[0]], [after[0]])),
      api_cpu_us_per_request: perRequest(cpuDeltaMs([before[1]], [after[1]])),
      requests_per_second: Math.round(count / seconds),
      errors,
    };
  } finally {
    await agent.close();
    await shop.stop();
  }
}

/** CONCURRENCY clients, each sending the next request as soon as its answer is read. */
async function load(agent: Agent, origin: string, durationMs: number): Promise<{ count: number; errors: number }> {
  const until = Date.now() + durationMs;
  let count = 0;
  let errors = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < until) {
        const response = await request(`${origin}${PATH}`, { dispatcher: agent });
        await response.body.dump();
        if (response.statusCode === 200) count++;
        else errors++;
      }
    }),
  );
  return { count, errors };
}

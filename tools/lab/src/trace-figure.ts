/**
 * A trace from Jaeger as a figure for the tutorial: the raw trace from Jaeger's query API as
 * JSON and the same trace drawn as an SVG waterfall (libs/observability's renderWaterfall, what
 * the map's trace page shows), committed side by side. No browser needed.
 *
 *   node -r ./tools/register.cjs tools/lab/src/trace-figure.ts --latest-order [--out PATH]
 *   node -r ./tools/register.cjs tools/lab/src/trace-figure.ts --trace <trace id> [--out PATH]
 *
 * `--latest-order`: the newest trace in Jaeger (last hour) of the api's `POST /orders` that
 * reached the confirmation mail (`smtp send`), e.g. the one `npm run e2e -- tracing` placed, or
 * one placed in the storefront under `npm start`. PATH without extension; default
 * docs/tutorial/figures/follow-one-order (.json and .svg).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '@tenk/config';
import { formatMs, isTraceId, JaegerQuery, renderWaterfall, toTraceView, type JaegerTrace } from '@tenk/observability/tracing';
import { gitState } from './run-stamp';

const ROOT = path.resolve(__dirname, '..', '..', '..');

async function latestOrder(jaeger: JaegerQuery): Promise<JaegerTrace> {
  const found = await jaeger.find({ service: 'api', operation: 'POST /orders', limit: 20, lookback: '1h' });
  for (const summary of found) {
    const raw = await jaeger.raw(summary.traceId);
    if (raw && toTraceView(raw).spans.some((span) => span.name === 'smtp send')) return raw;
  }
  throw new Error(
    `Jaeger has no order of the last hour that reached the confirmation mail (${found.length} POST /orders traces looked at): place one (npm run e2e -- tracing, or the storefront under npm start) and run this again`,
  );
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const option = (name: string) => {
    const index = args.indexOf(name);
    return index === -1 ? undefined : args[index + 1];
  };
  const config = loadConfig();
  const jaeger = new JaegerQuery(`http://127.0.0.1:${config.tracing.jaeger.uiPort}`);
  const traceId = option('--trace');
  if (traceId === undefined && !args.includes('--latest-order')) throw new Error('say which trace: --trace <trace id> or --latest-order');
  if (traceId !== undefined && !isTraceId(traceId))
    throw new Error(`--trace takes a trace id (32 lowercase hex characters), not ${JSON.stringify(traceId)}`);
  const raw = traceId === undefined ? await latestOrder(jaeger) : await jaeger.raw(traceId);
  if (raw === undefined) throw new Error(`Jaeger at ${jaeger.base} has no trace ${traceId}`);
  const trace = toTraceView(raw);
  const root = trace.spans[0];
  const title = `One order, one trace: ${root.service} ${root.name}, ${trace.spans.length} spans in ${formatMs(trace.durationUs)}`;
  const out = path.resolve(ROOT, option('--out') ?? 'docs/tutorial/figures/follow-one-order');
  mkdirSync(path.dirname(out), { recursive: true });
  const record = {
    figure: path.relative(ROOT, `${out}.svg`),
    madeAt: new Date().toISOString(),
    run: { ...gitState(), command: `node -r ./tools/register.cjs tools/lab/src/trace-figure.ts ${args.join(' ')}` },
    source: `GET ${jaeger.base}/api/traces/${trace.traceId}`,
    trace: raw,
  };
  writeFileSync(`${out}.json`, `${JSON.stringify(record, null, 1)}\n`);
  writeFileSync(`${out}.svg`, renderWaterfall(trace, title));
  console.log(`${title}\nwrote ${path.relative(ROOT, out)}.json and .svg (trace ${trace.traceId})`);
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exitCode = 1;
});

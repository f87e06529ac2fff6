import { describeSlowRequest } from './slow-traces';
import { formatMiB, formatMs } from './analysis';
import { statusText } from './html-report';
import type { LoadResult } from './load-result';

/** The end-of-run summary for the terminal: headline, per-endpoint table, memory, CPU, verdict. */
export function formatSummary(result: LoadResult): string {
  const { summary, settings } = result;
  const lines: string[] = [];
  const number = (value: number) => value.toLocaleString('en-US');
  lines.push(
    `tenk load: ${result.scenario}, ${number(settings.vus)} virtual users (ramp ${settings.rampSeconds} s, hold ${settings.holdSeconds} s), think ${settings.think}, ${result.target.url}`,
    `at full load (hold, ${summary.holdSeconds} s): ${number(summary.throughput)} responses/s, p50 ${formatMs(summary.latency.p50)} ms, p95 ${formatMs(summary.latency.p95)} ms, p99 ${formatMs(summary.latency.p99)} ms, max ${formatMs(summary.latency.max)} ms`,
    `whole run: ${number(summary.requests)} requests, ${number(summary.errors)} errors (${(summary.errorRate * 100).toFixed(2)}%)${summary.notDeployed > 0 ? `, ${number(summary.notDeployed)} to endpoints not deployed yet` : ''}${summary.abandoned > 0 ? `, ${number(summary.abandoned)} still unanswered at the end` : ''}`,
    '',
  );
  const header = ['endpoint', 'requests', 'errors', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'statuses'];
  const rows = result.endpoints.map((endpoint) => [
    endpoint.name + (endpoint.deployed ? '' : ' (not deployed)'),
    number(endpoint.requests),
    number(endpoint.errors),
    String(endpoint.throughput),
    formatMs(endpoint.latency.p50),
    formatMs(endpoint.latency.p95),
    formatMs(endpoint.latency.p99),
    formatMs(endpoint.latencyAll.max),
    statusText(endpoint.statuses, endpoint.notDeployed),
  ]);
  lines.push(...table([header, ...rows]));
  for (const journey of result.journeys)
    lines.push(`journey ${journey.name}: ${journey.count} times, p50 ${formatMs(journey.p50)} ms, p99 ${formatMs(journey.p99)} ms`);
  const { idle, load } = result.memory;
  if (idle || load) {
    const describe = (snapshot: typeof idle) =>
      snapshot
        ? `${formatMiB(snapshot.shopRssBytes)} RSS${snapshot.shopPssBytes === null ? '' : ` (PSS ${formatMiB(snapshot.shopPssBytes)})`}`
        : 'not measured';
    lines.push(
      '',
      `shop memory: idle ${describe(idle)}; under load ${describe(load)}; peak RSS ${result.memory.peakShopRssBytes === null ? '-' : formatMiB(result.memory.peakShopRssBytes)}`,
    );
  }
  const slowest = (result.slowest ?? []).slice(0, 5);
  if (slowest.length > 0) lines.push('', 'slowest requests:', ...slowest.map((request) => `  - ${describeSlowRequest(request)}`));
  lines.push('', 'where the limit is:', ...result.verdict.limit.map((line) => `  - ${line}`));
  if (result.verdict.errors.length > 0) lines.push('', 'errors:', ...result.verdict.errors.map((line) => `  - ${line}`));
  lines.push('', 'targets:');
  for (const check of result.verdict.checks)
    lines.push(`  ${check.met ? 'met   ' : 'MISSED'} ${check.name}: ${check.actual} (target ${check.target})`);
  return lines.join('\n');
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) =>
    row
      .map((cell, column) => (column === 0 || column === row.length - 1 ? cell.padEnd(widths[column]) : cell.padStart(widths[column])))
      .join('  ')
      .trimEnd(),
  );
}

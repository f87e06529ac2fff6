/**
 * `npm run load -- report [FILE.json ...]`: rebuilds each run's HTML page from its JSON (after a
 * change to the report, or to read an old run with today's page) and an index.html that lists
 * every run beside the conditions it ran in. Without files: every JSON in the results directory.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { escapeXml as escape } from '@tenk/lab';
import { formatMs } from './analysis';
import { renderHtmlReport } from './html-report';
import type { LoadResult } from './load-result';

export interface RebuiltReport {
  json: string;
  html: string;
}

export interface RebuildOutcome {
  rebuilt: RebuiltReport[];
  skipped: { file: string; reason: string }[];
  index: string;
}

/** Reads a file as a load result, or says why it is not one. */
export function asLoadResult(text: string): LoadResult | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `not JSON (${error instanceof Error ? error.message : String(error)})`;
  }
  if (typeof value !== 'object' || value === null) return 'not a JSON object';
  const record = value as Partial<LoadResult>;
  if (record.tool !== 'tenk-load') return 'not a tenk load result (no "tool": "tenk-load")';
  if (record.version !== 1) return `result version ${String(record.version)} is not one this tool reads (1)`;
  if (typeof record.summary !== 'object' || !Array.isArray(record.timeline)) return 'summary or timeline missing';
  return record as LoadResult;
}

export async function rebuildReports(
  resultsDir: string,
  files: readonly string[],
  log: (line: string) => void = () => undefined,
): Promise<RebuildOutcome> {
  const chosen = files.length > 0 ? files.map((file) => path.resolve(file)) : await jsonFilesIn(resultsDir);
  const rebuilt: RebuiltReport[] = [];
  const skipped: RebuildOutcome['skipped'] = [];
  const results: { result: LoadResult; html: string }[] = [];
  for (const [index, json] of chosen.entries()) {
    const parsed = asLoadResult(await readFile(json, 'utf8'));
    if (typeof parsed === 'string') {
      skipped.push({ file: json, reason: parsed });
      log(`[${index + 1}/${chosen.length}] skipped ${path.basename(json)}: ${parsed}`);
      continue;
    }
    const html = json.replace(/\.json$/, '.html');
    await writeFile(html, renderHtmlReport(parsed));
    rebuilt.push({ json, html });
    results.push({ result: parsed, html });
    log(`[${index + 1}/${chosen.length}] ${path.basename(html)}`);
  }
  const index = path.join(resultsDir, 'index.html');
  if (files.length === 0) await writeFile(index, renderIndex(results.map(({ result, html }) => ({ result, href: path.basename(html) }))));
  return { rebuilt, skipped, index };
}

async function jsonFilesIn(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  return names
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => path.join(dir, name));
}

/** One table row per run: what ran, where, and how it went; newest first. */
export function renderIndex(runs: readonly { result: LoadResult; href: string }[]): string {
  const sorted = [...runs].sort((a, b) => b.result.startedAt.localeCompare(a.result.startedAt));
  const rows = sorted.map(({ result, href }) => {
    const { summary, conditions, run } = result;
    const quiet = run?.quiet === true ? 'quiet' : run?.quiet === false ? 'busy' : 'not recorded';
    const commit = run?.commit ? `${run.commit.slice(0, 10)}${run.dirty ? ' (dirty)' : ''}` : 'not recorded';
    return `<tr><td><a href="${escape(href)}">${escape(result.name)}</a></td><td>${escape(result.scenario)}</td><td>${result.settings.vus.toLocaleString('en-US')}</td><td>${Math.round(summary.throughput).toLocaleString('en-US')}</td><td>${escape(formatMs(summary.latency.p99))} ms</td><td>${summary.errors.toLocaleString('en-US')} (${(summary.errorRate * 100).toFixed(2)}%)</td><td>${escape(commit)}</td><td>${escape(quiet)}${conditions.note ? `: ${escape(conditions.note)}` : ''}</td><td>${escape(result.startedAt.slice(0, 16).replace('T', ' '))}</td></tr>`;
  });
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>tenk load: all runs</title>
<style>body{font:14px/1.45 system-ui,sans-serif;color:#222;max-width:1100px;margin:24px auto;padding:0 16px}table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}th,td{text-align:right;padding:4px 8px;border-bottom:1px solid #eee}th{background:#fafafa}th:first-child,td:first-child,th:nth-child(2),td:nth-child(2),td:last-child,td:nth-last-child(2),td:nth-last-child(3){text-align:left}</style></head><body>
<h1>tenk load runs</h1>
<p>Each run's page is rebuilt from its JSON by <code>npm run load -- report</code>. "busy" means other processes used more than a tenth of a core while it ran: compare such runs with care.</p>
<table><thead><tr><th>run</th><th>scenario</th><th>users</th><th>req/s</th><th>p99 (hold)</th><th>errors</th><th>commit</th><th>machine</th><th>started (UTC)</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></body></html>
`;
}

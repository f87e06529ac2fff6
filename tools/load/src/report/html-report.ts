import { formatMiB, formatMs } from './analysis';
import type { LoadResult, TimelinePoint } from './load-result';
import { escapeXml as escape, renderLineChart, type LineSeries } from '@tenk/lab';

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; color: #222; max-width: 960px; margin: 24px auto; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.sub { color: #666; margin-top: 0; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; font-variant-numeric: tabular-nums; }
th, td { text-align: right; padding: 4px 8px; border-bottom: 1px solid #eee; } th { background: #fafafa; }
th:first-child, td:first-child { text-align: left; }
.met { color: #2e7d32; font-weight: 600; } .missed { color: #c62828; font-weight: 600; } .muted { color: #888; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 12px 0; }
.card { border: 1px solid #e3e3e3; border-radius: 6px; padding: 8px 12px; min-width: 120px; }
.card b { display: block; font-size: 20px; } .card span { color: #666; font-size: 12px; }
ul.limit li { margin: 4px 0; } code, pre { font-family: ui-monospace, monospace; font-size: 12px; } pre { background: #f7f7f7; padding: 8px; white-space: pre-wrap; }
svg { max-width: 100%; height: auto; margin: 8px 0; }
`;

/** The run as one self-contained HTML page: numbers, verdict, charts (inline SVG), tables. */
export function renderHtmlReport(result: LoadResult): string {
  const { summary, settings, conditions, target } = result;
  const timeline = result.timeline;
  const rampEnd = timeline.find((point) => point.phase !== 'ramp')?.t ?? 0;
  const bands = rampEnd > 0 ? [{ from: 0, to: rampEnd, label: 'ramp-up' }] : [];
  const series = (name: string, pick: (point: TimelinePoint) => number | undefined, extra: Partial<LineSeries> = {}): LineSeries => ({
    name,
    points: timeline.map((point) => [point.t, pick(point) ?? Number.NaN] as const),
    ...extra,
  });

  const charts: string[] = [
    renderLineChart({
      title: 'Latency percentiles per second',
      unit: 'ms',
      bands,
      series: [
        series('p50', (p) => (p.requests > 0 ? p.p50 : Number.NaN)),
        series('p95', (p) => (p.requests > 0 ? p.p95 : Number.NaN)),
        series('p99', (p) => (p.requests > 0 ? p.p99 : Number.NaN)),
      ],
      reference: { label: `target p99 < ${targetP99(result)} ms`, y: targetP99(result) },
    }),
    renderLineChart({
      title: 'Throughput and errors per second',
      unit: 'requests per second',
      bands,
      series: [series('responses/s', (p) => p.requests), series('errors/s', (p) => p.errors, { colour: '#d62728' })],
    }),
    renderLineChart({
      title: 'Virtual users',
      unit: 'users',
      bands,
      height: 220,
      series: [series('active users', (p) => p.vus), series('requests in flight', (p) => p.inFlight)],
    }),
  ];
  const cpuNames = result.cpu.slice(0, 8).map((usage) => usage.name);
  if (timeline.some((point) => point.cpu !== undefined)) {
    charts.push(
      renderLineChart({
        title: 'CPU per process (the busiest), % of one core',
        unit: '% of one core',
        bands,
        reference: { label: `${conditions.machine.cpus} cores`, y: conditions.machine.cpus * 100 },
        series: [
          series('machine total', (p) => p.machineCpu, { colour: '#333', dashed: true }),
          ...cpuNames.map((name) =>
            series(name, (p) =>
              name === 'load generator' ? p.generatorCpu : name === 'other (not the shop)' ? p.otherCpu : p.cpu?.[name],
            ),
          ),
        ],
      }),
      renderLineChart({
        title: 'Shop memory: RSS of every shop process, summed',
        unit: 'MiB',
        bands,
        height: 220,
        reference: { label: `target < ${formatMiB(result.memory.targetBytes)}`, y: result.memory.targetBytes / 2 ** 20 },
        series: [series('shop RSS', (p) => (p.shopRssBytes === undefined ? undefined : p.shopRssBytes / 2 ** 20))],
      }),
    );
  }

  const cards = [
    ['peak virtual users', summary.peakVus.toLocaleString('en-US')],
    ['responses/s (hold)', summary.throughput.toLocaleString('en-US')],
    ['p50 (hold)', `${formatMs(summary.latency.p50)} ms`],
    ['p95 (hold)', `${formatMs(summary.latency.p95)} ms`],
    ['p99 (hold)', `${formatMs(summary.latency.p99)} ms`],
    ['errors', `${summary.errors.toLocaleString('en-US')} (${(summary.errorRate * 100).toFixed(2)}%)`],
    ['requests', summary.requests.toLocaleString('en-US')],
  ];

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>tenk load: ${escape(result.name)}</title><style>${STYLE}</style></head>
<body>
<h1>tenk load test: ${escape(result.scenario)}, ${settings.vus.toLocaleString('en-US')} virtual users</h1>
<p class="sub">${escape(result.startedAt)} &middot; ${escape(target.url)}${target.startedByTool ? ` (lab shop started by the tool, ${target.apiInstances} api instances)` : ''} &middot; ${conditions.machine.cpus} CPUs, ${conditions.machine.memoryGiB} GiB, ${escape(conditions.machine.node)}</p>
<div class="cards">${cards.map(([label, value]) => `<div class="card"><b>${escape(value)}</b><span>${escape(label)}</span></div>`).join('')}</div>

<h2>Targets</h2>
<table><tr><th>check</th><th>target</th><th>measured</th><th>result</th></tr>
${result.verdict.checks.map((check) => `<tr><td>${escape(check.name)}</td><td>${escape(check.target)}</td><td>${escape(check.actual)}</td><td class="${check.met ? 'met' : 'missed'}">${check.met ? 'met' : 'missed'}</td></tr>`).join('\n')}
</table>

<h2>Where the limit is</h2>
<ul class="limit">${result.verdict.limit.map((line) => `<li>${escape(line)}</li>`).join('')}</ul>
${result.verdict.errors.length > 0 ? `<p><b>Errors</b></p><ul class="limit">${result.verdict.errors.map((line) => `<li>${escape(line)}</li>`).join('')}</ul>` : ''}

<h2>Charts</h2>
${charts.join('\n')}

<h2>Per endpoint</h2>
<p class="muted">Throughput and percentiles over the hold phase at full load; requests and errors over the whole run.</p>
<table><tr><th>endpoint</th><th>requests</th><th>errors</th><th>req/s</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>max ms</th><th>statuses</th></tr>
${result.endpoints
  .map(
    (endpoint) =>
      `<tr><td>${escape(endpoint.name)}${endpoint.deployed ? '' : ' <span class="muted">(not deployed: 404 for the route)</span>'}</td><td>${endpoint.requests.toLocaleString('en-US')}</td><td class="${endpoint.errors > 0 ? 'missed' : ''}">${endpoint.errors.toLocaleString('en-US')}</td><td>${endpoint.throughput}</td><td>${formatMs(endpoint.latency.p50)}</td><td>${formatMs(endpoint.latency.p95)}</td><td>${formatMs(endpoint.latency.p99)}</td><td>${formatMs(endpoint.latencyAll.max)}</td><td>${escape(statusText(endpoint.statuses, endpoint.notDeployed))}</td></tr>`,
  )
  .join('\n')}
</table>
${errorSamples(result)}
${result.journeys.length > 0 ? `<h3>Journeys (across several requests)</h3><table><tr><th>journey</th><th>count</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>max ms</th></tr>${result.journeys.map((journey) => `<tr><td>${escape(journey.name)}</td><td>${journey.count}</td><td>${formatMs(journey.p50)}</td><td>${formatMs(journey.p95)}</td><td>${formatMs(journey.p99)}</td><td>${formatMs(journey.max)}</td></tr>`).join('')}</table>` : ''}

${slowestTable(result)}

<h2>Memory of the shop</h2>
${memoryTable(result)}

<h2>CPU per process during the hold</h2>
${result.cpu.length === 0 ? '<p class="muted">Not measured.</p>' : `<table><tr><th>process</th><th>kind</th><th>average %</th><th>peak %</th></tr>${result.cpu.map((usage) => `<tr><td>${escape(usage.name)}</td><td>${usage.kind}</td><td>${usage.average}</td><td>${usage.peak}</td></tr>`).join('')}</table><p class="muted">% of one core; ${conditions.machine.cpus} cores make ${conditions.machine.cpus * 100}%. A Node process runs its JavaScript on one thread, so about 100% is its ceiling.</p>`}

<h2>Settings and conditions</h2>
<table>
${[
  ['scenario', result.mix.map((entry) => `${entry.scenario} ${entry.weight}`).join(', ')],
  [
    'ramp-up / hold',
    `${settings.rampSeconds} s / ${settings.holdSeconds} s (hold measured: ${summary.holdSeconds} s${summary.stoppedEarly ? ', stopped early' : ''})`,
  ],
  ['think time', settings.think],
  ['upload think time', settings.uploadThink],
  ['product popularity', `Zipf, exponent ${settings.zipfExponent}, over ${settings.catalogProducts.toLocaleString('en-US')} products`],
  [
    'client addresses x connections',
    `${settings.clientIps} x ${settings.connectionsPerIp} = ${(settings.clientIps * settings.connectionsPerIp).toLocaleString('en-US')} keep-alive connections at most`,
  ],
  ['request timeout', `${settings.timeoutSeconds} s`],
  ['seed', String(settings.seed)],
  ['load average before / after', `${conditions.loadAverageBefore.join(' ')} / ${conditions.loadAverageAfter.join(' ')}`],
  [
    'other CPU on the machine (hold average)',
    conditions.otherCpuDuringHold === null ? 'not measured' : `${conditions.otherCpuDuringHold}% of one core`,
  ],
  [
    'load generator',
    `CPU ${conditions.generator.cpuAverage}% average, ${conditions.generator.cpuPeak}% peak; event-loop delay p99 up to ${conditions.generator.eventLoopP99Max} ms`,
  ],
  [
    'shop environment',
    Object.entries(target.shopEnv)
      .map(([key, value]) => `${key}=${value}`)
      .join(' ') || '(defaults)',
  ],
  ['note', conditions.note ?? ''],
  ...(result.run
    ? [
        ['commit', `${result.run.commit ?? 'unknown'}${result.run.dirty ? ' (with uncommitted changes)' : ''}`],
        ['command', result.run.command],
        [
          'versions',
          Object.entries(result.run.versions)
            .map(([name, version]) => `${name} ${version}`)
            .join(', '),
        ],
        [
          'quiet machine',
          result.run.quiet === null ? 'not measured' : result.run.quiet ? 'yes' : 'no: other work used more than 10% of a core',
        ],
      ]
    : []),
]
  .map(([label, value]) => `<tr><td>${escape(label)}</td><td style="text-align:left">${escape(value)}</td></tr>`)
  .join('\n')}
</table>
${result.notes.length > 0 ? `<h3>Notes</h3><ul>${result.notes.map((note) => `<li>${escape(note)}</li>`).join('')}</ul>` : ''}
<p class="muted">Written by tools/load (npm run load). The JSON beside this file has every number, the per-second timeline and the latency histograms.</p>
</body></html>
`;
}

function targetP99(result: LoadResult): number {
  const check = result.verdict.checks.find((entry) => entry.name.startsWith('p99'));
  const match = check ? /(\d+(?:\.\d+)?)/.exec(check.target) : null;
  return match ? Number(match[1]) : 200;
}

export function statusText(statuses: Record<string, number>, notDeployed: number): string {
  const parts = Object.entries(statuses)
    .sort((a, b) => b[1] - a[1])
    .map(([status, count]) => `${status}: ${count.toLocaleString('en-US')}`);
  if (notDeployed > 0) parts.push(`not deployed: ${notDeployed.toLocaleString('en-US')}`);
  return parts.join(', ');
}

function errorSamples(result: LoadResult): string {
  const rows = result.endpoints.flatMap((endpoint) =>
    Object.entries(endpoint.errorSamples).map(([status, body]) => [endpoint.name, status, body] as const),
  );
  if (rows.length === 0) return '';
  return `<h3>What the failures said (first response of each kind)</h3><table><tr><th>endpoint</th><th>status</th><th style="text-align:left">body</th></tr>${rows
    .map(
      ([name, status, body]) =>
        `<tr><td>${escape(name)}</td><td>${escape(status)}</td><td style="text-align:left"><code>${escape(body)}</code></td></tr>`,
    )
    .join('')}</table>`;
}

function memoryTable(result: LoadResult): string {
  const { idle, load } = result.memory;
  if (!idle && !load) return '<p class="muted">Not measured (--no-monitor).</p>';
  const names = [...new Set([...(idle?.groups ?? []), ...(load?.groups ?? [])].map((group) => group.name))];
  const cell = (bytes: number | null | undefined) => (bytes === null || bytes === undefined ? '-' : formatMiB(bytes));
  const rows = names.map((name) => {
    const before = idle?.groups.find((group) => group.name === name);
    const after = load?.groups.find((group) => group.name === name);
    const kind = before?.kind ?? after?.kind ?? 'shop';
    const aside =
      kind === 'harness'
        ? ' <span class="muted">(load tool, not counted)</span>'
        : kind === 'other'
          ? ' <span class="muted">(not this shop, not counted)</span>'
          : '';
    return `<tr><td>${escape(name)}${aside}</td><td>${after?.processes ?? before?.processes ?? 0}</td><td>${cell(before?.rssBytes)}</td><td>${cell(before?.pssBytes)}</td><td>${cell(after?.rssBytes)}</td><td>${cell(after?.pssBytes)}</td></tr>`;
  });
  return `<table><tr><th>process group</th><th>processes</th><th>idle RSS</th><th>idle PSS</th><th>load RSS</th><th>load PSS</th></tr>
${rows.join('\n')}
<tr><th>the shop, summed</th><th></th><th>${cell(idle?.shopRssBytes)}</th><th>${cell(idle?.shopPssBytes)}</th><th>${cell(load?.shopRssBytes)}</th><th>${cell(load?.shopPssBytes)}</th></tr>
</table>
<p class="muted">RSS counts pages shared between processes once per process (PostgreSQL's shared buffers appear in every backend); PSS splits shared pages between the processes sharing them, so the PSS sum is what the shop really takes from the machine. Peak summed RSS during the run: ${cell(result.memory.peakShopRssBytes)}. "Load" is a snapshot near the end of the hold. PostgreSQL, Redis, Kafka and the SMTP sink are the local stack, which other clients (tests, other shops) may share: PostgreSQL backends serving other clients are listed apart and not counted; the rest of the stack is counted whole.</p>`;
}

/** The slowest requests, each linked to its trace on the map's trace page. */
function slowestTable(result: LoadResult): string {
  const slowest = result.slowest ?? [];
  if (slowest.length === 0) return '';
  const traceCell = (request: (typeof slowest)[number]) => {
    if (request.traceUrl === null) return '<span class="muted">no trace id (tracing off)</span>';
    const link = `<a href="${escape(request.traceUrl)}">${escape(request.traceId ?? '')}</a>`;
    if (request.inJaeger === false)
      return `<span class="muted">${escape(request.traceId ?? '')}: not kept (not sampled, did not fail)</span>`;
    return request.inJaeger === null ? `${link} <span class="muted">(not checked)</span>` : link;
  };
  return `<h3>Slowest requests and their traces</h3>
<p class="muted">From the balancer's <code>traceresponse</code> header; the link opens the trace on the map (drawn from Jaeger's query API). A request the sampling ratio left out is in Jaeger only if it failed, or was slower than <code>TENK_TRACE_KEEP_SLOW_MS</code> when the shop had it set.</p>
<table><tr><th>endpoint</th><th>outcome</th><th>ms</th><th>at s</th><th>trace</th></tr>${slowest
    .map(
      (request) =>
        `<tr><td>${escape(request.endpoint)}</td><td>${escape(request.outcome)}</td><td>${formatMs(request.latencyMs)}</td><td>${request.atSeconds}</td><td>${traceCell(request)}</td></tr>`,
    )
    .join('')}</table>`;
}

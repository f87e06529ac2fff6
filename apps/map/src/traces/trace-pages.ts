import { formatMs, patternAttributes, type TraceSummary, type TraceView } from '@tenk/observability';

const STYLE = `body{font-family:sans-serif;margin:16px;color:#222}a{color:#2f6db5}table{border-collapse:collapse;font-size:13px}
td,th{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}.failed{color:#c62828}code{font-size:12px}
.note{color:#666;font-size:13px;max-width:60em}svg{max-width:100%;height:auto}`;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char] as string);
}

function layout(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><p><a href="/">map</a> · <a href="/traces">slow and failed requests</a></p>${body}</body></html>`;
}

function summaryTable(traces: TraceSummary[] | string, empty: string): string {
  if (typeof traces === 'string') return `<p class="failed">${escapeHtml(traces)}</p>`;
  if (traces.length === 0) return `<p class="note">${escapeHtml(empty)}</p>`;
  const rows = traces
    .map(
      (trace) =>
        `<tr${trace.failed ? ' class="failed"' : ''}><td>${new Date(trace.startedAtUs / 1_000).toISOString().slice(11, 23)}</td>` +
        `<td><a href="/traces/${trace.traceId}">${escapeHtml(trace.name)}</a></td><td>${trace.status ?? ''}</td>` +
        `<td>${formatMs(trace.durationUs)}</td><td>${trace.spans}</td><td>${escapeHtml(trace.kept ?? 'sampled')}</td></tr>`,
    )
    .join('');
  return `<table><tr><th>at (UTC)</th><th>request (balancer)</th><th>status</th><th>trace</th><th>spans</th><th>kept because</th></tr>${rows}</table>`;
}

/** The list of recent slow and failed requests, each linked to its trace. */
export function traceListPage(input: {
  minMs: number;
  slow: TraceSummary[] | string;
  failed: TraceSummary[] | string;
  jaeger: string;
}): string {
  return layout(
    'tenk: slow and failed requests',
    `<h1>Slow and failed requests, last hour</h1>
<p class="note">From Jaeger's query API (${escapeHtml(input.jaeger)}), the balancer's span of each request. Only traces
Jaeger has are here: those the sampling ratio kept (<code>TENK_TRACE_SAMPLE_RATIO</code>), every one that failed
(<code>tenk.trace.kept=error</code>) and, with <code>TENK_TRACE_KEEP_SLOW_MS</code>, the slow ones.</p>
<h2>Slower than ${input.minMs} ms</h2>
<p class="note">Change the threshold: <a href="/traces?min=100">100 ms</a>, <a href="/traces?min=1000">1 s</a>.</p>
${summaryTable(input.slow, `none in the last hour`)}
<h2>Failed</h2>
${summaryTable(input.failed, 'none among the last 200 requests Jaeger has')}`,
  );
}

/** One trace: the waterfall, then every span's pattern attributes as a table. */
export function tracePage(input: { trace: TraceView; title: string; svg: string }): string {
  const rows = input.trace.spans
    .map(
      (span) =>
        `<tr${span.failed ? ' class="failed"' : ''}><td>${formatMs(span.startUs)}</td><td>${escapeHtml(span.service)}</td><td>${escapeHtml(span.name)}</td>` +
        `<td>${formatMs(span.durationUs)}</td><td><code>${escapeHtml(
          patternAttributes(span)
            .map(([key, value]) => `${key}=${value}`)
            .join(' '),
        )}</code></td></tr>`,
    )
    .join('');
  return layout(
    `trace ${input.trace.traceId}`,
    `<h1>${escapeHtml(input.title)}</h1><p class="note">trace <code>${input.trace.traceId}</code> · <a href="/traces/${input.trace.traceId}/json">JSON</a></p>
${input.svg}
<table><tr><th>at</th><th>service</th><th>span</th><th>took</th><th>attributes</th></tr>${rows}</table>`,
  );
}

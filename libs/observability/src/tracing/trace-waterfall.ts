import type { TraceSpan, TraceView } from './jaeger-query';

/** The attributes a row shows: the patterns' own (`tenk.*`) and the HTTP status. */
export function patternAttributes(span: TraceSpan): Array<[string, string | number | boolean]> {
  return Object.entries(span.attributes)
    .filter(([key]) => (key.startsWith('tenk.') && key !== 'tenk.request_id') || key === 'http.response.status_code')
    .map(([key, value]) => [key.replace(/^tenk\./, ''), value]);
}

const WIDTH = 1_200;
const LABEL = 360;
const BARS = WIDTH - LABEL - 20;
const ROW = 36;
const TOP = 44;
const PALETTE = ['#2f6db5', '#d9822b', '#3a9a5b', '#8e5ac8', '#c2417a', '#2a9fa8', '#8a7a2a'];

/**
 * A trace as an SVG waterfall: one row per span (service, name, indented under its parent), a
 * bar at its start and duration on the trace's time scale, and the pattern attributes below
 * it. Failed spans are red. Self-contained (no script, no external font): the map serves it,
 * chapter 6 commits one.
 */
export function renderWaterfall(trace: TraceView, title = `trace ${trace.traceId}`): string {
  const depth = depths(trace.spans);
  const colours = new Map<string, string>();
  const colour = (service: string) => {
    if (!colours.has(service)) colours.set(service, PALETTE[colours.size % PALETTE.length]);
    return colours.get(service) as string;
  };
  const totalUs = Math.max(trace.durationUs, 1);
  const x = (us: number) => LABEL + (us / totalUs) * BARS;
  const height = TOP + trace.spans.length * ROW + 16;
  const ticks = tickValues(totalUs)
    .map(
      (us) =>
        `<line x1="${x(us).toFixed(1)}" y1="${TOP - 6}" x2="${x(us).toFixed(1)}" y2="${height - 12}" stroke="#e3e3e3"/>` +
        `<text x="${x(us).toFixed(1)}" y="${TOP - 10}" text-anchor="middle" class="tick">${formatMs(us)}</text>`,
    )
    .join('');
  const rows = trace.spans
    .map((span, index) => {
      const y = TOP + index * ROW;
      const fill = colour(span.service);
      const barX = x(span.startUs);
      const barWidth = Math.max(2, (span.durationUs / totalUs) * BARS);
      const attributes = patternAttributes(span)
        .map(([key, value]) => `${key}=${value}`)
        .join('  ');
      const indent = 8 + (depth.get(span.id) ?? 0) * 14;
      return (
        `<g${span.failed ? ' class="failed"' : ''}>` +
        (index % 2 === 0 ? `<rect x="0" y="${y}" width="${WIDTH}" height="${ROW}" fill="#f7f7f7"/>` : '') +
        `<text x="${indent}" y="${y + 15}" class="name"><tspan fill="${fill}" font-weight="bold">${escapeXml(span.service)}</tspan> ${escapeXml(span.name)}</text>` +
        `<rect x="${barX.toFixed(1)}" y="${y + 5}" width="${barWidth.toFixed(1)}" height="12" rx="2" fill="${span.failed ? '#c62828' : fill}"/>` +
        // The duration right of the bar, or left of it when the bar reaches the edge.
        (barX + barWidth + 60 <= WIDTH
          ? `<text x="${(barX + barWidth + 4).toFixed(1)}" y="${y + 15}" class="ms">${formatMs(span.durationUs)}</text>`
          : `<text x="${(barX - 4).toFixed(1)}" y="${y + 15}" text-anchor="end" class="ms">${formatMs(span.durationUs)}</text>`) +
        (attributes ? `<text x="${indent + 12}" y="${y + 30}" class="attrs">${escapeXml(truncate(attributes, 190))}</text>` : '') +
        `<title>${escapeXml(
          `${span.service} ${span.name}: ${formatMs(span.durationUs)} at ${formatMs(span.startUs)}${span.failed ? ' (failed)' : ''}\n${Object.entries(
            span.attributes,
          )
            .map(([key, value]) => `${key}=${value}`)
            .join('\n')}`,
        )}</title>` +
        `</g>`
      );
    })
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">
<style>.name{font-size:12px;fill:#222}.attrs{font-size:10px;fill:#666;font-family:monospace}.ms{font-size:10px;fill:#444}.tick{font-size:10px;fill:#888}.title{font-size:14px;font-weight:bold}.failed .name{fill:#c62828}</style>
<rect width="${WIDTH}" height="${height}" fill="#fff"/>
<text x="8" y="18" class="title">${escapeXml(title)}</text>
<text x="${WIDTH - 8}" y="18" text-anchor="end" class="tick">${trace.spans.length} spans, ${formatMs(trace.durationUs)}</text>
${ticks}
${rows}
</svg>
`;
}

function depths(spans: readonly TraceSpan[]): Map<string, number> {
  const byId = new Map(spans.map((span) => [span.id, span]));
  const result = new Map<string, number>();
  const depthOf = (span: TraceSpan): number => {
    const known = result.get(span.id);
    if (known !== undefined) return known;
    const parent = span.parent === undefined ? undefined : byId.get(span.parent);
    const value = parent === undefined ? 0 : depthOf(parent) + 1;
    result.set(span.id, value);
    return value;
  };
  for (const span of spans) depthOf(span);
  return result;
}

/** About five round tick values across the trace. */
function tickValues(totalUs: number): number[] {
  const raw = totalUs / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((candidate) => candidate >= raw) ?? raw;
  const ticks: number[] = [];
  for (let us = 0; us <= totalUs; us += step) ticks.push(us);
  return ticks;
}

export function formatMs(us: number): string {
  if (us === 0) return '0 ms';
  const ms = us / 1_000;
  if (ms >= 1_000) return `${(ms / 1_000).toFixed(2)} s`;
  if (ms >= 10) return `${Math.round(ms)} ms`;
  return `${ms.toFixed(ms >= 1 ? 1 : 2)} ms`;
}

function truncate(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
}

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char] as string);
}

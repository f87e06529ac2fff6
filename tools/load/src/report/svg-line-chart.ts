/**
 * Small dependency-free SVG line charts for the HTML report (inline, so the report is one
 * self-contained file that opens anywhere, offline).
 */
export interface LineSeries {
  name: string;
  /** [x, y] pairs; a NaN y leaves a gap. */
  points: readonly (readonly [number, number])[];
  colour?: string;
  dashed?: boolean;
}

export interface LineChart {
  title: string;
  /** Unit of the y axis, e.g. "ms", "req/s", "% of one core". */
  unit: string;
  series: readonly LineSeries[];
  /** A horizontal reference line (a target), drawn dashed in red. */
  reference?: { label: string; y: number };
  /** The x range's label (default: seconds since the start). */
  xLabel?: string;
  width?: number;
  height?: number;
  /** Shade x ranges, e.g. the ramp-up. */
  bands?: readonly { from: number; to: number; label: string }[];
}

export const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#59a14f', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
const MARGIN = { top: 34, right: 16, bottom: 58, left: 64 };

export function renderLineChart(chart: LineChart): string {
  const width = chart.width ?? 900;
  const height = chart.height ?? 280;
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const plotHeight = height - MARGIN.top - MARGIN.bottom;
  const points = chart.series.flatMap((series) => series.points.filter(([, y]) => Number.isFinite(y)));
  const xs = points.map(([x]) => x);
  const xMin = xs.length > 0 ? Math.min(...xs) : 0;
  const xMax = xs.length > 0 ? Math.max(...xs, xMin + 1) : 1;
  const yValues = points.map(([, y]) => y);
  if (chart.reference) yValues.push(chart.reference.y);
  const yTicks = niceTicks(0, yValues.length > 0 ? Math.max(...yValues) : 1);
  const yMax = yTicks[yTicks.length - 1];
  const xTicks = niceTicks(xMin, xMax);
  const x = (value: number) => MARGIN.left + ((value - xMin) / (xMax - xMin || 1)) * plotWidth;
  const y = (value: number) => MARGIN.top + plotHeight - (value / (yMax || 1)) * plotHeight;

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(chart.title)}" font-family="system-ui, sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${MARGIN.left}" y="20" font-size="14" font-weight="bold">${escapeXml(chart.title)}</text>`,
  ];
  for (const band of chart.bands ?? []) {
    const from = Math.max(xMin, band.from);
    const to = Math.min(xMax, band.to);
    if (to <= from) continue;
    parts.push(`<rect x="${fixed(x(from))}" y="${MARGIN.top}" width="${fixed(x(to) - x(from))}" height="${plotHeight}" fill="#f2f2f2"/>`);
    parts.push(`<text x="${fixed(x(from) + 4)}" y="${MARGIN.top + 12}" fill="#888">${escapeXml(band.label)}</text>`);
  }
  for (const tick of yTicks) {
    parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${fixed(y(tick))}" y2="${fixed(y(tick))}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${fixed(y(tick) + 4)}" text-anchor="end">${formatTick(tick)}</text>`);
  }
  for (const tick of xTicks) {
    if (tick < xMin || tick > xMax) continue;
    parts.push(`<line x1="${fixed(x(tick))}" x2="${fixed(x(tick))}" y1="${MARGIN.top + plotHeight}" y2="${MARGIN.top + plotHeight + 4}" stroke="#999"/>`);
    parts.push(`<text x="${fixed(x(tick))}" y="${MARGIN.top + plotHeight + 16}" text-anchor="middle">${formatTick(tick)}</text>`);
  }
  parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${MARGIN.top + plotHeight}" y2="${MARGIN.top + plotHeight}" stroke="#999"/>`);
  parts.push(`<text x="${MARGIN.left + plotWidth / 2}" y="${MARGIN.top + plotHeight + 30}" text-anchor="middle" fill="#555">${escapeXml(chart.xLabel ?? 'seconds since the start')}</text>`);
  parts.push(`<text transform="translate(14 ${MARGIN.top + plotHeight / 2}) rotate(-90)" text-anchor="middle" fill="#555">${escapeXml(chart.unit)}</text>`);
  if (chart.reference) {
    const ry = fixed(y(chart.reference.y));
    parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${ry}" y2="${ry}" stroke="#d62728" stroke-dasharray="6 4"/>`);
    parts.push(`<text x="${MARGIN.left + plotWidth - 4}" y="${fixed(y(chart.reference.y) - 4)}" text-anchor="end" fill="#d62728">${escapeXml(chart.reference.label)}</text>`);
  }
  chart.series.forEach((series, index) => {
    const colour = series.colour ?? PALETTE[index % PALETTE.length];
    const path = linePath(series.points, x, y);
    if (path !== '') parts.push(`<path d="${path}" fill="none" stroke="${colour}" stroke-width="1.6"${series.dashed ? ' stroke-dasharray="4 3"' : ''}/>`);
  });
  // Legend under the x axis label, left to right.
  let legendX = MARGIN.left;
  chart.series.forEach((series, index) => {
    const colour = series.colour ?? PALETTE[index % PALETTE.length];
    parts.push(`<rect x="${legendX}" y="${height - 14}" width="12" height="4" fill="${colour}"/>`);
    parts.push(`<text x="${legendX + 16}" y="${height - 9}">${escapeXml(series.name)}</text>`);
    legendX += 28 + series.name.length * 6.2;
  });
  if (points.length === 0) parts.push(`<text x="${MARGIN.left + plotWidth / 2}" y="${MARGIN.top + plotHeight / 2}" text-anchor="middle" fill="#888">no data</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}

/** "M x y L x y ..." with a new "M" after every gap (a non-finite y). */
function linePath(points: LineSeries['points'], x: (value: number) => number, y: (value: number) => number): string {
  let path = '';
  let drawing = false;
  for (const [px, py] of points) {
    if (!Number.isFinite(py) || !Number.isFinite(px)) {
      drawing = false;
      continue;
    }
    path += `${drawing ? 'L' : 'M'}${fixed(x(px))} ${fixed(y(py))} `;
    drawing = true;
  }
  return path.trim();
}

/** Round tick values (1, 2, 2.5 or 5 times a power of ten) covering [min, max], about 5 of them. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) max = min + 1;
  const rough = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((factor) => factor * power).find((candidate) => candidate >= rough) ?? 10 * power;
  const ticks: number[] = [];
  const first = Math.floor(min / step) * step;
  for (let value = first; value < max + step * 0.999; value += step) ticks.push(Math.round(value * 1e6) / 1e6);
  return ticks;
}

function formatTick(value: number): string {
  if (Math.abs(value) >= 10_000) return `${Math.round(value / 1_000)}k`;
  if (Number.isInteger(value)) return String(value);
  return value.toFixed(Math.abs(value) < 1 ? 2 : 1);
}

function fixed(value: number): string {
  return value.toFixed(1);
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

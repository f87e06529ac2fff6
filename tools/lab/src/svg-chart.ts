/**
 * The one chart module of the lab and the load tool: small dependency-free SVG, inline so a
 * result or report is one file that opens anywhere, offline. Bar charts for the lab's results
 * (renderCharts), line charts over time for the load report (renderLineChart); one palette.
 */
export const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#59a14f', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Bar charts: the lab's numbers, one picture beside each result's JSON. */
export interface Bar {
  label: string;
  value: number;
  /** Bars with the same series share a colour; a legend names the series. */
  series?: string;
}

export interface Chart {
  title: string;
  unit: string;
  bars: Bar[];
  /** Draw smaller-is-better charts with a note, so readers read them right. */
  lowerIsBetter?: boolean;
}

const WIDTH = 760;
const LABEL_WIDTH = 220;
const BAR_HEIGHT = 22;
const GAP = 6;

export function renderCharts(title: string, charts: Chart[]): string {
  let y = 40;
  const parts: string[] = [`<text x="16" y="26" font-size="18" font-weight="bold">${escapeXml(title)}</text>`];
  for (const chart of charts) {
    const { svg, height } = renderChart(chart, y);
    parts.push(svg);
    y += height + 24;
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y}" viewBox="0 0 ${WIDTH} ${y}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

function renderChart(chart: Chart, top: number): { svg: string; height: number } {
  const series = [...new Set(chart.bars.map((bar) => bar.series ?? ''))];
  const max = Math.max(...chart.bars.map((bar) => bar.value), 0) || 1;
  const plotWidth = WIDTH - LABEL_WIDTH - 110;
  const note = chart.lowerIsBetter ? ' (lower is better)' : '';
  const parts = [`<text x="16" y="${top + 14}" font-size="14" font-weight="bold">${escapeXml(chart.title)}${note}</text>`];
  let y = top + 26;
  for (const bar of chart.bars) {
    const colour = PALETTE[series.indexOf(bar.series ?? '') % PALETTE.length];
    const width = Math.max(1, (bar.value / max) * plotWidth);
    parts.push(
      `<text x="${LABEL_WIDTH - 8}" y="${y + BAR_HEIGHT / 2 + 4}" text-anchor="end">${escapeXml(bar.label)}</text>`,
      `<rect x="${LABEL_WIDTH}" y="${y}" width="${width.toFixed(1)}" height="${BAR_HEIGHT}" fill="${colour}"/>`,
      `<text x="${(LABEL_WIDTH + width + 6).toFixed(1)}" y="${y + BAR_HEIGHT / 2 + 4}">${escapeXml(formatValue(bar.value))} ${escapeXml(chart.unit)}</text>`,
    );
    y += BAR_HEIGHT + GAP;
  }
  if (series.length > 1) {
    let x = LABEL_WIDTH;
    for (const [index, name] of series.entries()) {
      parts.push(
        `<rect x="${x}" y="${y + 2}" width="10" height="10" fill="${PALETTE[index % PALETTE.length]}"/>`,
        `<text x="${x + 14}" y="${y + 11}">${escapeXml(name)}</text>`,
      );
      x += 24 + name.length * 7;
    }
    y += 18;
  }
  return { svg: parts.join('\n'), height: y - top };
}

export function formatValue(value: number): string {
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** Line charts: the load report's series over time (inline in its HTML). */
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
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${fixed(y(tick))}" y2="${fixed(y(tick))}" stroke="#e5e5e5"/>`,
    );
    parts.push(`<text x="${MARGIN.left - 6}" y="${fixed(y(tick) + 4)}" text-anchor="end">${formatTick(tick)}</text>`);
  }
  for (const tick of xTicks) {
    if (tick < xMin || tick > xMax) continue;
    parts.push(
      `<line x1="${fixed(x(tick))}" x2="${fixed(x(tick))}" y1="${MARGIN.top + plotHeight}" y2="${MARGIN.top + plotHeight + 4}" stroke="#999"/>`,
    );
    parts.push(`<text x="${fixed(x(tick))}" y="${MARGIN.top + plotHeight + 16}" text-anchor="middle">${formatTick(tick)}</text>`);
  }
  parts.push(
    `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${MARGIN.top + plotHeight}" y2="${MARGIN.top + plotHeight}" stroke="#999"/>`,
  );
  parts.push(
    `<text x="${MARGIN.left + plotWidth / 2}" y="${MARGIN.top + plotHeight + 30}" text-anchor="middle" fill="#555">${escapeXml(chart.xLabel ?? 'seconds since the start')}</text>`,
  );
  parts.push(
    `<text transform="translate(14 ${MARGIN.top + plotHeight / 2}) rotate(-90)" text-anchor="middle" fill="#555">${escapeXml(chart.unit)}</text>`,
  );
  if (chart.reference) {
    const ry = fixed(y(chart.reference.y));
    parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${ry}" y2="${ry}" stroke="#d62728" stroke-dasharray="6 4"/>`);
    parts.push(
      `<text x="${MARGIN.left + plotWidth - 4}" y="${fixed(y(chart.reference.y) - 4)}" text-anchor="end" fill="#d62728">${escapeXml(chart.reference.label)}</text>`,
    );
  }
  chart.series.forEach((series, index) => {
    const colour = series.colour ?? PALETTE[index % PALETTE.length];
    const path = linePath(series.points, x, y);
    if (path !== '')
      parts.push(`<path d="${path}" fill="none" stroke="${colour}" stroke-width="1.6"${series.dashed ? ' stroke-dasharray="4 3"' : ''}/>`);
  });
  // Legend under the x axis label, left to right.
  let legendX = MARGIN.left;
  chart.series.forEach((series, index) => {
    const colour = series.colour ?? PALETTE[index % PALETTE.length];
    parts.push(`<rect x="${legendX}" y="${height - 14}" width="12" height="4" fill="${colour}"/>`);
    parts.push(`<text x="${legendX + 16}" y="${height - 9}">${escapeXml(series.name)}</text>`);
    legendX += 28 + series.name.length * 6.2;
  });
  if (points.length === 0)
    parts.push(
      `<text x="${MARGIN.left + plotWidth / 2}" y="${MARGIN.top + plotHeight / 2}" text-anchor="middle" fill="#888">no data</text>`,
    );
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

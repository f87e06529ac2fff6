/** Small dependency-free SVG bar charts, so lab numbers get a picture beside their JSON. */
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

const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1'];
const WIDTH = 760;
const LABEL_WIDTH = 220;
const BAR_HEIGHT = 22;
const GAP = 6;

export function renderCharts(title: string, charts: Chart[]): string {
  let y = 40;
  const parts: string[] = [`<text x="16" y="26" font-size="18" font-weight="bold">${escape(title)}</text>`];
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
  const parts = [`<text x="16" y="${top + 14}" font-size="14" font-weight="bold">${escape(chart.title)}${note}</text>`];
  let y = top + 26;
  for (const bar of chart.bars) {
    const colour = PALETTE[series.indexOf(bar.series ?? '') % PALETTE.length];
    const width = Math.max(1, (bar.value / max) * plotWidth);
    parts.push(
      `<text x="${LABEL_WIDTH - 8}" y="${y + BAR_HEIGHT / 2 + 4}" text-anchor="end">${escape(bar.label)}</text>`,
      `<rect x="${LABEL_WIDTH}" y="${y}" width="${width.toFixed(1)}" height="${BAR_HEIGHT}" fill="${colour}"/>`,
      `<text x="${(LABEL_WIDTH + width + 6).toFixed(1)}" y="${y + BAR_HEIGHT / 2 + 4}">${escape(formatValue(bar.value))} ${escape(chart.unit)}</text>`,
    );
    y += BAR_HEIGHT + GAP;
  }
  if (series.length > 1) {
    let x = LABEL_WIDTH;
    for (const [index, name] of series.entries()) {
      parts.push(`<rect x="${x}" y="${y + 2}" width="10" height="10" fill="${PALETTE[index % PALETTE.length]}"/>`, `<text x="${x + 14}" y="${y + 11}">${escape(name)}</text>`);
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

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** One sample of the Prometheus text format: `name{label="value",...} 12.5`. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses the Prometheus text exposition format (comments and HELP/TYPE lines are skipped). */
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = LINE.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const label of (match[3] ?? '').matchAll(LABEL))
      labels[label[1]] = label[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    const value = match[4] === '+Inf' ? Infinity : match[4] === '-Inf' ? -Infinity : Number(match[4]);
    if (!Number.isNaN(value)) samples.push({ name: match[1], labels, value });
  }
  return samples;
}

/** Query helpers over one scrape. */
export class Scrape {
  constructor(readonly samples: Sample[]) {}

  /** Sum of every sample of `name` whose labels match `where` (all given labels equal). */
  sum(name: string, where: Record<string, string | ((value: string) => boolean)> = {}): number {
    let total = 0;
    for (const sample of this.samples) if (sample.name === name && matches(sample.labels, where)) total += sample.value;
    return total;
  }

  /** Sums of `name` grouped by one label. */
  by(name: string, label: string, where: Record<string, string | ((value: string) => boolean)> = {}): Record<string, number> {
    const groups: Record<string, number> = {};
    for (const sample of this.samples) {
      if (sample.name !== name || !matches(sample.labels, where)) continue;
      const key = sample.labels[label] ?? '';
      groups[key] = (groups[key] ?? 0) + sample.value;
    }
    return groups;
  }

  has(name: string): boolean {
    return this.samples.some((sample) => sample.name === name);
  }
}

function matches(labels: Record<string, string>, where: Record<string, string | ((value: string) => boolean)>): boolean {
  for (const [key, expected] of Object.entries(where)) {
    const actual = labels[key];
    if (typeof expected === 'function' ? actual === undefined || !expected(actual) : actual !== expected) return false;
  }
  return true;
}

/** Rates per second of counters between two readings (a counter that went down was reset: 0). */
export function ratePerSecond(previous: number | undefined, current: number, seconds: number): number {
  if (previous === undefined || seconds <= 0 || current < previous) return 0;
  return (current - previous) / seconds;
}

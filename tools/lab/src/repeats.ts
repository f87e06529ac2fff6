import type { LabContext } from './experiment';

/** A flat row of measurements, as an experiment reports one run of one variant. */
export type Row = Record<string, number | string>;

/**
 * How many times to repeat an experiment's variants: `--rounds N`, at least 3 for a measurement
 * (one run on a shared machine says little), 1 in quick mode (a smoke test, not a measurement).
 */
export function roundsFor(context: Pick<LabContext, 'option' | 'quick'>): number {
  const rounds = Math.round(context.option('rounds', context.quick ? 1 : 3));
  if (context.quick) return Math.max(1, rounds);
  if (rounds < 3) throw new Error(`--rounds ${rounds}: a measurement needs at least 3 rounds (use --quick for a single smoke-test pass)`);
  return rounds;
}

/**
 * Runs every variant once per round, interleaved (off, on, off, on, ...), so a machine that gets
 * busier or quieter during the experiment weighs on every variant alike. Returns each variant's
 * runs in round order.
 */
export async function interleaved<V extends string, R>(
  rounds: number,
  variants: readonly V[],
  run: (variant: V, round: number) => Promise<R>,
  log?: (message: string) => void,
): Promise<Record<V, R[]>> {
  const results = Object.fromEntries(variants.map((variant) => [variant, [] as R[]])) as Record<V, R[]>;
  for (let round = 1; round <= rounds; round++) {
    for (const variant of variants) {
      log?.(`round ${round}/${rounds}: ${variant}`);
      results[variant].push(await run(variant, round));
    }
  }
  return results;
}

/**
 * One row from several runs of the same variant: each number is the median of the runs (under
 * its own key, so a link to it stays valid), with its spread as `<key>_min` and `<key>_max`
 * when there was more than one run, and `rounds`. A text field keeps its value if every run
 * agrees, else lists them in round order (`a | b | c`). `spreadOf` limits the spread to some
 * keys (default: every number).
 */
export function summarize(runs: readonly Row[], options: { spreadOf?: readonly string[] } = {}): Row {
  if (runs.length === 0) throw new Error('summarize: no runs');
  const summary: Row = {};
  const keys = [...new Set(runs.flatMap((run) => Object.keys(run)))];
  for (const key of keys) {
    const values = runs.map((run) => run[key]).filter((value) => value !== undefined);
    if (values.every((value): value is number => typeof value === 'number')) {
      summary[key] = median(values);
      if (runs.length > 1 && (options.spreadOf ?? keys).includes(key)) {
        summary[`${key}_min`] = Math.min(...values);
        summary[`${key}_max`] = Math.max(...values);
      }
    } else {
      const texts = values.map(String);
      summary[key] = texts.every((text) => text === texts[0]) ? texts[0] : texts.join(' | ');
    }
  }
  summary['rounds'] = runs.length;
  return summary;
}

/** The middle value (the mean of the two middle ones for an even count), without float noise. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) return sorted[middle];
  const decimals = Math.max(...sorted.map(decimalsOf)) + 1;
  return Number(((sorted[middle - 1] + sorted[middle]) / 2).toFixed(decimals));
}

/**
 * A figure as a claim should quote it: the median, with the spread when there was one
 * (`2043 ms (1,950-2,210)`). `row` is a summarize() row.
 */
export function quote(row: Row, key: string, unit = ''): string {
  const value = row[key];
  const min = row[`${key}_min`];
  const max = row[`${key}_max`];
  const suffix = unit ? ` ${unit}` : '';
  if (typeof value !== 'number') return `${String(value)}${suffix}`;
  if (typeof min !== 'number' || typeof max !== 'number' || min === max) return `${format(value)}${suffix}`;
  return `${format(value)}${suffix} (${format(min)}-${format(max)})`;
}

/** What a headline says about its figures: `median of 3 rounds, spread in brackets`, or `1 round`. */
export function roundsNote(rounds: number): string {
  return rounds === 1 ? '1 round' : `median of ${rounds} rounds, spread in brackets`;
}

function format(value: number): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: 3 });
}

function decimalsOf(value: number): number {
  const text = String(value);
  const dot = text.indexOf('.');
  return dot === -1 || text.includes('e') ? 0 : text.length - dot - 1;
}

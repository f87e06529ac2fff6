import type { TenkConfig } from '@tenk/config';
import type { Chart } from './svg-chart';

/** One experiment per tutorial chapter claim: the pattern off vs on, measured here. */
export interface Experiment {
  /** `npm run lab -- <name>` */
  name: string;
  /** One line for `npm run lab -- list`. */
  summary: string;
  run(context: LabContext): Promise<LabResult>;
}

export interface LabContext {
  config: TenkConfig;
  /** Arguments after the experiment's name, e.g. `--duration 20`. */
  args: string[];
  /** A number option from args (`--duration 20`), or the fallback. */
  option(name: string, fallback: number): number;
  flag(name: string): boolean;
  /**
   * `--quick` (or TENK_LAB_QUICK=1): a short run that proves the experiment works end to end,
   * used by the test that runs every chapter's commands. Numbers from it are not quoted.
   */
  quick: boolean;
  /** A duration in seconds for a measured phase: `normal`, or `quickSeconds` in quick mode. */
  seconds(normal: number, quickSeconds?: number): number;
  /** A line of progress on stderr, so stdout stays the result. */
  log(message: string): void;
}

export interface LabResult {
  /** A sentence with the headline number, e.g. "the cache cut database queries by 93.1%". */
  headline: string;
  /** Named measurements, each a flat record of numbers and labels: what the JSON keeps. */
  measurements: Record<string, Record<string, number | string>>;
  /** What the SVG beside the JSON draws. */
  charts: Chart[];
  /** Anything a reader needs to interpret the numbers (machine, settings). */
  notes?: string[];
  /** Structured facts that do not fit a flat row (per stage flags, how the run was set up), kept as they are in the JSON. */
  details?: Record<string, unknown>;
}

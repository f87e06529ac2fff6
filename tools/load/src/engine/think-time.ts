import { formatDuration, parseDuration } from './duration';
import type { Random } from './random';

/**
 * How long a virtual user pauses between two requests (reading a page, choosing). Long-tailed
 * distributions are capped at ten times their mean so one user cannot sleep through a run.
 */
export type ThinkTime =
  | { kind: 'constant'; ms: number }
  | { kind: 'uniform'; minMs: number; maxMs: number }
  | { kind: 'exponential'; meanMs: number }
  | { kind: 'lognormal'; medianMs: number; sigma: number };

const CAP_FACTOR = 10;

export const THINK_TIME_SYNTAX = '5s | uniform:5s-15s | exp:10s | lognormal:8s,0.5 | none';

/** `5s`, `uniform:5s-15s`, `exp:10s` (exponential, mean 10 s), `lognormal:8s,0.5` (median, sigma), `none`. */
export function parseThinkTime(spec: string): ThinkTime {
  const text = spec.trim();
  const [kind, rest] = text.includes(':') ? [text.slice(0, text.indexOf(':')), text.slice(text.indexOf(':') + 1)] : ['constant', text];
  const what = `think time "${spec}"`;
  switch (kind) {
    case 'constant':
      return { kind: 'constant', ms: rest === 'none' ? 0 : parseDuration(rest, what) };
    case 'uniform': {
      const [min, max] = rest.split('-');
      if (max === undefined) throw new Error(`${what}: write uniform:MIN-MAX, e.g. uniform:5s-15s`);
      const minMs = parseDuration(min, what);
      const maxMs = parseDuration(max, what);
      if (maxMs < minMs) throw new Error(`${what}: the maximum is below the minimum`);
      return { kind: 'uniform', minMs, maxMs };
    }
    case 'exp':
      return { kind: 'exponential', meanMs: parseDuration(rest, what) };
    case 'lognormal': {
      const [median, sigma] = rest.split(',');
      const sigmaValue = Number(sigma);
      if (sigma === undefined || !Number.isFinite(sigmaValue) || sigmaValue <= 0 || sigmaValue > 3) {
        throw new Error(`${what}: write lognormal:MEDIAN,SIGMA with SIGMA in (0, 3], e.g. lognormal:8s,0.5`);
      }
      return { kind: 'lognormal', medianMs: parseDuration(median, what), sigma: sigmaValue };
    }
    default:
      throw new Error(`${what}: unknown distribution "${kind}"; use ${THINK_TIME_SYNTAX}`);
  }
}

/** One pause, in milliseconds. */
export function sampleThinkTime(think: ThinkTime, random: Random): number {
  switch (think.kind) {
    case 'constant':
      return think.ms;
    case 'uniform':
      return think.minMs + random.next() * (think.maxMs - think.minMs);
    case 'exponential':
      return Math.min(-Math.log(1 - random.next()) * think.meanMs, think.meanMs * CAP_FACTOR);
    case 'lognormal': {
      // Box-Muller: one standard normal from two uniforms (1 - u keeps log away from 0).
      const normal = Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
      return Math.min(think.medianMs * Math.exp(think.sigma * normal), meanThinkTime(think) * CAP_FACTOR);
    }
  }
}

/** The expected pause (before capping), to estimate the offered load: VUs / (think + latency). */
export function meanThinkTime(think: ThinkTime): number {
  switch (think.kind) {
    case 'constant':
      return think.ms;
    case 'uniform':
      return (think.minMs + think.maxMs) / 2;
    case 'exponential':
      return think.meanMs;
    case 'lognormal':
      return think.medianMs * Math.exp((think.sigma * think.sigma) / 2);
  }
}

export function describeThinkTime(think: ThinkTime): string {
  switch (think.kind) {
    case 'constant':
      return think.ms === 0 ? 'none' : `constant ${formatDuration(think.ms)}`;
    case 'uniform':
      return `uniform ${formatDuration(think.minMs)} to ${formatDuration(think.maxMs)}`;
    case 'exponential':
      return `exponential, mean ${formatDuration(think.meanMs)}`;
    case 'lognormal':
      return `lognormal, median ${formatDuration(think.medianMs)}, sigma ${think.sigma}`;
  }
}

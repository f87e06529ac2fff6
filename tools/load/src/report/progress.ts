import { formatClock } from '../engine/duration';
import { GENERATOR } from './analysis';
import type { TimelinePoint } from './load-result';

/** Where progress goes: a terminal (which has columns) or any text stream. */
export type OutputStream = NodeJS.WritableStream & { columns?: number };

export interface ProgressOptions {
  /** Where to write (stderr: stdout stays for the summary). */
  stream: OutputStream;
  /** A TTY gets one line rewritten every second; anything else a plain line every `intervalMs`. */
  tty: boolean;
  intervalMs: number;
  vus: number;
}

/**
 * The live view of a run: elapsed time, phase, active users, responses per second, latency
 * percentiles of the last second, errors so far, and the busiest processes of the shop.
 */
export class ProgressDisplay {
  readonly #options: ProgressOptions;
  #errors = 0;
  #requests = 0;
  #lastPrinted = -Infinity;
  #lineOpen = false;

  constructor(options: ProgressOptions) {
    this.#options = options;
  }

  update(point: TimelinePoint): void {
    this.#errors += point.errors;
    this.#requests += point.requests;
    const line = formatProgressLine(point, this.#options.vus, this.#requests, this.#errors);
    if (this.#options.tty) {
      this.#options.stream.write(`\r\x1b[2K${line.slice(0, Math.max(40, (this.#options.stream.columns ?? 160) - 1))}`);
      this.#lineOpen = true;
      return;
    }
    if (point.t * 1_000 - this.#lastPrinted >= this.#options.intervalMs || point.phase === 'drain') {
      this.#lastPrinted = point.t * 1_000;
      this.#options.stream.write(`${line}\n`);
    }
  }

  /** A message between progress lines (keeps the TTY line intact). */
  log(message: string): void {
    if (this.#lineOpen) this.#options.stream.write('\r\x1b[2K');
    this.#options.stream.write(`${message}\n`);
  }

  finish(): void {
    if (this.#lineOpen) this.#options.stream.write('\n');
    this.#lineOpen = false;
  }
}

export function formatProgressLine(point: TimelinePoint, vus: number, requests: number, errors: number): string {
  const busiest = Object.entries(point.cpu ?? {})
    .filter(([name]) => name !== GENERATOR && name !== 'lab shop launcher')
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([name, cpu]) => `${name} ${Math.round(cpu)}%`);
  busiest.push(`gen ${Math.round(point.generatorCpu)}%`);
  const ms = (value: number) => (point.requests === 0 ? '-' : value >= 100 ? value.toFixed(0) : value.toFixed(1));
  return [
    `${formatClock(point.t * 1_000)} ${point.phase.padEnd(5)}`,
    `vus ${point.vus.toLocaleString('en-US')}/${vus.toLocaleString('en-US')}`,
    `${point.requests.toLocaleString('en-US')} req/s`,
    `p50 ${ms(point.p50)} p95 ${ms(point.p95)} p99 ${ms(point.p99)} ms`,
    `errors ${errors.toLocaleString('en-US')}${requests > 0 ? ` (${((errors / requests) * 100).toFixed(2)}%)` : ''}`,
    `cpu ${busiest.join(' ')}`,
  ].join(' | ');
}

import { monitorEventLoopDelay, performance, type EventLoopUtilization, type IntervalHistogram } from 'node:perf_hooks';

/** What the event loop looked like over the last sampling interval. */
export interface PressureSample {
  /** The longest the loop was late running a timer during the interval, in ms (a blocked loop shows the whole block). */
  delayMs: number;
  /** Share of the interval the loop was busy (0..1). */
  utilization: number;
}

/** Where a LoadShedder reads pressure from: the real event loop, or a test's numbers. */
export interface PressureSource {
  start(onSample: (sample: PressureSample) => void): void;
  stop(): void;
}

/**
 * The event loop's pressure, sampled on a timer with Node's own instruments: a
 * monitorEventLoopDelay histogram (10 ms resolution) whose max is read and reset every interval, and
 * eventLoopUtilization() differenced over the same interval. Nothing runs per request.
 */
export class EventLoopPressure implements PressureSource {
  readonly #intervalMs: number;
  #histogram: IntervalHistogram | null = null;
  #timer: NodeJS.Timeout | null = null;
  #lastUtilization: EventLoopUtilization | null = null;

  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs;
  }

  start(onSample: (sample: PressureSample) => void): void {
    if (this.#timer !== null) return;
    const histogram = monitorEventLoopDelay({ resolution: 10 });
    histogram.enable();
    this.#histogram = histogram;
    this.#lastUtilization = performance.eventLoopUtilization();
    this.#timer = setInterval(() => onSample(this.#sample()), this.#intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    this.#histogram?.disable();
    this.#histogram = null;
  }

  #sample(): PressureSample {
    const histogram = this.#histogram as IntervalHistogram;
    // The longest, not a percentile: one 250 ms block is one sample among a hundred at 10 ms
    // resolution, and it is exactly what every request that arrived meanwhile waited.
    const delayNs = histogram.max;
    histogram.reset();
    const now = performance.eventLoopUtilization();
    const utilization = performance.eventLoopUtilization(now, this.#lastUtilization ?? undefined).utilization;
    this.#lastUtilization = now;
    return { delayMs: Number.isFinite(delayNs) ? delayNs / 1e6 : 0, utilization };
  }
}

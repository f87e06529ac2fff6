/** Histogram bucket bounds in seconds, shared by /metrics (Prometheus `le`) and nothing else. */
export const LATENCY_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

/**
 * Response times of one peer: the last `capacity` samples in a ring (for p50/p99 on the
 * status page, computed when someone looks) and cumulative histogram buckets (for
 * Prometheus). Recording is two array writes; nothing is allocated per request.
 */
export class LatencyRecorder {
  readonly #samples: Float64Array;
  #next = 0;
  #filled = 0;
  /** Cumulative counts per bucket, plus +Inf at the end. */
  readonly buckets = new Float64Array(LATENCY_BUCKETS_SECONDS.length + 1);
  sumSeconds = 0;
  count = 0;

  constructor(capacity = 1024) {
    this.#samples = new Float64Array(capacity);
  }

  record(ms: number): void {
    const samples = this.#samples;
    samples[this.#next] = ms;
    this.#next = this.#next + 1 === samples.length ? 0 : this.#next + 1;
    if (this.#filled < samples.length) this.#filled++;
    const seconds = ms / 1000;
    this.sumSeconds += seconds;
    this.count++;
    let bucket = 0;
    while (bucket < LATENCY_BUCKETS_SECONDS.length && seconds > LATENCY_BUCKETS_SECONDS[bucket]) bucket++;
    this.buckets[bucket]++;
  }

  /** How many recent samples the percentiles are taken over (at most `capacity`). */
  get samples(): number {
    return this.#filled;
  }

  /** Percentiles (0-100) of the recent samples, in milliseconds; null with no samples yet. */
  percentiles(points: readonly number[]): Array<number | null> {
    if (this.#filled === 0) return points.map(() => null);
    const sorted = this.#samples.slice(0, this.#filled).sort();
    return points.map((p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]);
  }

  /** Cumulative counts for Prometheus: bucket i counts samples <= LATENCY_BUCKETS_SECONDS[i]. */
  cumulative(): number[] {
    const out: number[] = [];
    let running = 0;
    for (const count of this.buckets) {
      running += count;
      out.push(running);
    }
    return out;
  }
}

/**
 * Latency histogram in the manner of HdrHistogram: log-linear buckets over integer
 * microseconds, so any value from 1 us to 71 minutes is kept with a relative error of at most
 * 1 / 2^(PRECISION_BITS - 1) (0.8%), in a fixed 26 KB array. Recording is a few integer
 * operations and one array increment: no allocation, whatever the rate. Histograms of the
 * same shape merge by adding counts, which is how per-second windows roll up into totals.
 *
 * Layout: values below 2^PRECISION_BITS have a bucket each; above, every power-of-two range
 * [2^k, 2^(k+1)) is split into 2^(PRECISION_BITS - 1) equal sub-buckets.
 */
export const PRECISION_BITS = 8;
const SUB_BUCKETS = 1 << PRECISION_BITS;
const HALF = SUB_BUCKETS >>> 1;
/** Values are clamped to this (2^32 - 1 us, about 71 minutes). */
export const MAX_TRACKABLE_MICROS = 0xffffffff;
const BUCKET_COUNT = indexOf(MAX_TRACKABLE_MICROS) + 1;

function indexOf(micros: number): number {
  if (micros < SUB_BUCKETS) return micros;
  const exponent = 31 - Math.clz32(micros) - PRECISION_BITS + 1;
  return exponent * HALF + (micros >>> exponent);
}

/** The lowest and highest value (in us) that land in bucket `index`. */
export function bucketRange(index: number): [number, number] {
  if (index < SUB_BUCKETS) return [index, index];
  const exponent = Math.floor(index / HALF) - 1;
  const sub = index - exponent * HALF;
  const low = sub * 2 ** exponent;
  return [low, low + 2 ** exponent - 1];
}

/** What a histogram keeps in a JSON report: non-empty buckets as [index, count] pairs. */
export interface HistogramJson {
  precisionBits: number;
  count: number;
  min: number;
  max: number;
  sum: number;
  buckets: [number, number][];
}

export class LatencyHistogram {
  readonly #counts = new Float64Array(BUCKET_COUNT);
  #count = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = 0;
  #sum = 0;

  /** Records one value in microseconds (fractions are dropped, negatives count as 0). */
  record(micros: number): void {
    const value = micros <= 0 ? 0 : micros >= MAX_TRACKABLE_MICROS ? MAX_TRACKABLE_MICROS : micros >>> 0;
    this.#counts[indexOf(value)] += 1;
    this.#count += 1;
    this.#sum += value;
    if (value < this.#min) this.#min = value;
    if (value > this.#max) this.#max = value;
  }

  get count(): number {
    return this.#count;
  }

  /** Exact smallest value recorded (0 when empty). */
  get min(): number {
    return this.#count === 0 ? 0 : this.#min;
  }

  /** Exact largest value recorded. */
  get max(): number {
    return this.#max;
  }

  get mean(): number {
    return this.#count === 0 ? 0 : this.#sum / this.#count;
  }

  /**
   * The value at percentile `percent` (0-100), in us: the highest value of the bucket that
   * holds it (never more than the largest value recorded), as HdrHistogram reports it, so a
   * percentile is never understated. 0 when empty.
   */
  percentile(percent: number): number {
    if (this.#count === 0) return 0;
    if (percent <= 0) return this.min;
    const rank = Math.max(1, Math.ceil((Math.min(percent, 100) / 100) * this.#count));
    let seen = 0;
    const counts = this.#counts;
    for (let index = 0; index < counts.length; index++) {
      seen += counts[index];
      if (seen >= rank) return Math.min(bucketRange(index)[1], this.#max);
    }
    return this.#max;
  }

  /** Adds another histogram's values to this one. */
  merge(other: LatencyHistogram): void {
    if (other.#count === 0) return;
    const mine = this.#counts;
    const theirs = other.#counts;
    for (let index = 0; index < theirs.length; index++) if (theirs[index] !== 0) mine[index] += theirs[index];
    this.#count += other.#count;
    this.#sum += other.#sum;
    if (other.#min < this.#min) this.#min = other.#min;
    if (other.#max > this.#max) this.#max = other.#max;
  }

  reset(): void {
    this.#counts.fill(0);
    this.#count = 0;
    this.#min = Number.POSITIVE_INFINITY;
    this.#max = 0;
    this.#sum = 0;
  }

  toJSON(): HistogramJson {
    const buckets: [number, number][] = [];
    this.#counts.forEach((count, index) => {
      if (count !== 0) buckets.push([index, count]);
    });
    return { precisionBits: PRECISION_BITS, count: this.#count, min: this.min, max: this.#max, sum: this.#sum, buckets };
  }

  static fromJSON(json: HistogramJson): LatencyHistogram {
    if (json.precisionBits !== PRECISION_BITS) throw new Error(`histogram has ${json.precisionBits} precision bits; this version reads ${PRECISION_BITS}`);
    const histogram = new LatencyHistogram();
    for (const [index, count] of json.buckets) {
      if (!Number.isInteger(index) || index < 0 || index >= BUCKET_COUNT) throw new Error(`histogram bucket ${index} is out of range`);
      histogram.#counts[index] += count;
    }
    histogram.#count = json.count;
    histogram.#sum = json.sum;
    histogram.#min = json.count === 0 ? Number.POSITIVE_INFINITY : json.min;
    histogram.#max = json.max;
    return histogram;
  }
}

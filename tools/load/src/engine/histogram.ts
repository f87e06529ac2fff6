import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';

/**
 * Latency histogram on HdrHistogram (hdr-histogram-js, the JavaScript port autocannon uses):
 * integer microseconds from 1 us to 71 minutes with 3 significant digits (a percentile is at
 * most 0.1% above the exact value, never below), in a fixed array: recording allocates
 * nothing, whatever the rate. Histograms merge by adding counts, which is how per-second
 * windows roll up into totals. Count, min, max and sum are kept exactly beside it.
 */
export const SIGNIFICANT_DIGITS = 3;
/** Values are clamped to this (2^32 - 1 us, about 71 minutes). */
export const MAX_TRACKABLE_MICROS = 0xffffffff;

function newHistogram(): Histogram {
  return build({
    bitBucketSize: 32,
    numberOfSignificantValueDigits: SIGNIFICANT_DIGITS,
    lowestDiscernibleValue: 1,
    highestTrackableValue: MAX_TRACKABLE_MICROS,
    autoResize: false,
    useWebAssembly: false,
  });
}

/** What a histogram keeps in a JSON report: HdrHistogram's compressed V2 encoding, in base64. */
export interface HistogramJson {
  encoding: 'hdr-v2-base64';
  significantDigits: number;
  count: number;
  min: number;
  max: number;
  sum: number;
  histogram: string;
}

export class LatencyHistogram {
  #hdr = newHistogram();
  #count = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = 0;
  #sum = 0;

  /** Records one value in microseconds (fractions are dropped, negatives count as 0). */
  record(micros: number): void {
    const value = micros <= 0 ? 0 : micros >= MAX_TRACKABLE_MICROS ? MAX_TRACKABLE_MICROS : micros >>> 0;
    this.#hdr.recordValue(value);
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
   * The value at percentile `percent` (0-100), in us: the highest value equivalent to the one
   * at that rank (never more than the largest value recorded), as HdrHistogram reports it, so
   * a percentile is never understated. 0 when empty.
   */
  percentile(percent: number): number {
    if (this.#count === 0) return 0;
    if (percent <= 0) return this.min;
    return Math.min(this.#hdr.getValueAtPercentile(Math.min(percent, 100)), this.#max);
  }

  /** Adds another histogram's values to this one. */
  merge(other: LatencyHistogram): void {
    if (other.#count === 0) return;
    this.#hdr.add(other.#hdr);
    this.#count += other.#count;
    this.#sum += other.#sum;
    if (other.#min < this.#min) this.#min = other.#min;
    if (other.#max > this.#max) this.#max = other.#max;
  }

  reset(): void {
    this.#hdr.reset();
    this.#count = 0;
    this.#min = Number.POSITIVE_INFINITY;
    this.#max = 0;
    this.#sum = 0;
  }

  toJSON(): HistogramJson {
    return {
      encoding: 'hdr-v2-base64',
      significantDigits: SIGNIFICANT_DIGITS,
      count: this.#count,
      min: this.min,
      max: this.#max,
      sum: this.#sum,
      histogram: encodeIntoCompressedBase64(this.#hdr),
    };
  }

  static fromJSON(json: HistogramJson): LatencyHistogram {
    if (json.encoding !== 'hdr-v2-base64')
      throw new Error(`histogram encoding ${String(json.encoding)} is not hdr-v2-base64 (a report from an older tenk)`);
    const histogram = new LatencyHistogram();
    histogram.#hdr.add(decodeFromCompressedBase64(json.histogram, 32, false));
    histogram.#count = json.count;
    histogram.#sum = json.sum;
    histogram.#min = json.count === 0 ? Number.POSITIVE_INFINITY : json.min;
    histogram.#max = json.max;
    return histogram;
  }
}

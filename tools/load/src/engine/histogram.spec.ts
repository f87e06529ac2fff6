import { LatencyHistogram, MAX_TRACKABLE_MICROS } from './histogram';
import { Random } from './random';

/** The exact percentile of sorted values, with HdrHistogram's rank: percent of the count, rounded, at least 1. */
function exactPercentile(sorted: number[], percent: number): number {
  return sorted[Math.max(1, Math.floor((percent / 100) * sorted.length + 0.5)) - 1];
}

describe('LatencyHistogram', () => {
  it('keeps small values exactly', () => {
    const histogram = new LatencyHistogram();
    for (const value of [1, 2, 3, 4, 100]) histogram.record(value);
    expect(histogram.count).toBe(5);
    expect(histogram.min).toBe(1);
    expect(histogram.max).toBe(100);
    expect(histogram.percentile(50)).toBe(3);
    expect(histogram.percentile(100)).toBe(100);
    expect(histogram.mean).toBe(22);
  });

  it('reports percentiles within 0.1% above the exact value, never below it', () => {
    const random = new Random(7);
    const histogram = new LatencyHistogram();
    const values: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      // Latencies from 50 us to about 20 s, spread over orders of magnitude.
      const value = Math.floor(50 * Math.exp(random.next() * 13));
      values.push(value);
      histogram.record(value);
    }
    values.sort((a, b) => a - b);
    for (const percent of [1, 10, 50, 90, 95, 99, 99.9, 100]) {
      const exact = exactPercentile(values, percent);
      const reported = histogram.percentile(percent);
      expect(reported).toBeGreaterThanOrEqual(exact);
      expect(reported).toBeLessThanOrEqual(exact * 1.001);
    }
    expect(histogram.max).toBe(values[values.length - 1]);
  });

  it('clamps values it cannot track instead of failing', () => {
    const histogram = new LatencyHistogram();
    histogram.record(-5);
    histogram.record(MAX_TRACKABLE_MICROS * 4);
    expect(histogram.min).toBe(0);
    expect(histogram.max).toBe(MAX_TRACKABLE_MICROS);
    expect(histogram.percentile(100)).toBe(MAX_TRACKABLE_MICROS);
  });

  it('merges windows into the same totals as recording everything in one', () => {
    const whole = new LatencyHistogram();
    const total = new LatencyHistogram();
    const window = new LatencyHistogram();
    const random = new Random(3);
    for (let second = 0; second < 5; second++) {
      window.reset();
      for (let i = 0; i < 1_000; i++) {
        const value = 1_000 + random.int(200_000);
        window.record(value);
        whole.record(value);
      }
      total.merge(window);
    }
    expect(total.count).toBe(whole.count);
    expect(total.min).toBe(whole.min);
    expect(total.max).toBe(whole.max);
    expect(total.mean).toBeCloseTo(whole.mean, 6);
    for (const percent of [50, 95, 99]) expect(total.percentile(percent)).toBe(whole.percentile(percent));
  });

  it('survives a JSON round trip', () => {
    const histogram = new LatencyHistogram();
    for (const value of [120, 4_500, 4_700, 98_000, 1_200_000]) histogram.record(value);
    const copy = LatencyHistogram.fromJSON(JSON.parse(JSON.stringify(histogram.toJSON())));
    expect(copy.count).toBe(5);
    expect(copy.percentile(50)).toBe(histogram.percentile(50));
    expect(copy.percentile(99)).toBe(histogram.percentile(99));
    expect(copy.max).toBe(1_200_000);
    expect(copy.min).toBe(120);
  });

  it('is empty and answers 0 after reset', () => {
    const histogram = new LatencyHistogram();
    histogram.record(10);
    histogram.reset();
    expect(histogram.count).toBe(0);
    expect(histogram.percentile(99)).toBe(0);
    expect(histogram.min).toBe(0);
    expect(histogram.mean).toBe(0);
  });
});

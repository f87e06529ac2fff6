import { Random } from './random';
import { ZipfSampler } from './zipf';

describe('ZipfSampler', () => {
  it('draws rank k about 1/k^s as often as rank 1', () => {
    const zipf = new ZipfSampler(1_000, 1);
    const random = new Random(42);
    const counts = new Array<number>(1_000).fill(0);
    const draws = 200_000;
    for (let i = 0; i < draws; i++) counts[zipf.sample(random)] += 1;
    // Harmonic number H(1000) = 7.485: rank 1 gets 13.4% of the draws.
    expect(counts[0] / draws).toBeCloseTo(1 / 7.485, 2);
    expect(counts[0] / counts[1]).toBeGreaterThan(1.8);
    expect(counts[0] / counts[1]).toBeLessThan(2.2);
    expect(counts[0] / counts[9]).toBeGreaterThan(8.5);
    expect(counts[0] / counts[9]).toBeLessThan(11.5);
    // The top 1% of products get about 70% of the views with s = 1.
    const top10 = counts.slice(0, 10).reduce((a, b) => a + b, 0) / draws;
    expect(top10).toBeGreaterThan(0.36);
    expect(top10).toBeLessThan(0.42);
  });

  it('stays within range and has probabilities that add up to 1', () => {
    const zipf = new ZipfSampler(37, 1.2);
    const random = new Random(1);
    for (let i = 0; i < 10_000; i++) {
      const rank = zipf.sample(random);
      expect(rank).toBeGreaterThanOrEqual(0);
      expect(rank).toBeLessThan(37);
    }
    let sum = 0;
    for (let rank = 0; rank < 37; rank++) sum += zipf.probability(rank);
    expect(sum).toBeCloseTo(1, 10);
    expect(zipf.probability(0)).toBeGreaterThan(zipf.probability(1));
  });

  it('is uniform with exponent 0 and repeats with the same seed', () => {
    const zipf = new ZipfSampler(4, 0);
    expect(zipf.probability(3)).toBeCloseTo(0.25, 10);
    const first = Array.from(
      { length: 20 },
      (
        (random) => () =>
          zipf.sample(random)
      )(new Random(9)),
    );
    const second = Array.from(
      { length: 20 },
      (
        (random) => () =>
          zipf.sample(random)
      )(new Random(9)),
    );
    expect(first).toEqual(second);
  });

  it('refuses an empty catalog or a negative exponent', () => {
    expect(() => new ZipfSampler(0, 1)).toThrow('at least one item');
    expect(() => new ZipfSampler(10, -1)).toThrow('0 or more');
  });
});

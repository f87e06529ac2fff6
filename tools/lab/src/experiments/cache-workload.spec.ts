import { catalogWorkload, seededRandom, ZipfSampler } from './cache-workload';

describe('ZipfSampler', () => {
  it('draws rank k about 1/k as often as rank 1 (s = 1)', () => {
    const sampler = new ZipfSampler(1_000, 1, seededRandom(7));
    const counts = new Map<number, number>();
    for (let i = 0; i < 200_000; i++) {
      const rank = sampler.next();
      counts.set(rank, (counts.get(rank) ?? 0) + 1);
    }
    const first = counts.get(1) ?? 0;
    expect((counts.get(2) ?? 0) / first).toBeCloseTo(0.5, 1);
    expect((counts.get(10) ?? 0) / first).toBeCloseTo(0.1, 1);
    expect(Math.min(...counts.keys())).toBe(1);
    expect(Math.max(...counts.keys())).toBeLessThanOrEqual(1_000);
  });
});

describe('catalogWorkload', () => {
  it('is repeatable: the same seed sends the same requests', () => {
    const a = catalogWorkload({ products: 5_000, exponent: 1, seed: 42 });
    const b = catalogWorkload({ products: 5_000, exponent: 1, seed: 42 });
    const draw = (workload: typeof a) => Array.from({ length: 50 }, (_, i) => (i % 5 === 0 ? workload.listing() : workload.productView()));
    expect(draw(a)).toEqual(draw(b));
    expect(a.productView()).toMatch(/^\/products\/\d+$/);
    expect(a.listing()).toMatch(/^\/products\?category=[a-z]+&page=\d+&limit=20$/);
  });
});

/**
 * The read-heavy catalog workload of the cache experiments: product views with Zipf-distributed
 * popularity (a few products are viewed a lot, most rarely, as in real shops), plus listing
 * pages. Deterministic: the same seed sends the same requests in the same order.
 */

/** A small seeded PRNG (mulberry32): the lab's runs are repeatable. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Ranks 1..n drawn with P(k) proportional to 1/k^s (s = 1: the k-th most popular is viewed 1/k as often as the first). */
export class ZipfSampler {
  readonly #cumulative: Float64Array;

  constructor(
    readonly n: number,
    readonly exponent: number,
    private readonly random: () => number,
  ) {
    const cumulative = new Float64Array(n);
    let sum = 0;
    for (let k = 1; k <= n; k++) {
      sum += 1 / k ** exponent;
      cumulative[k - 1] = sum;
    }
    for (let i = 0; i < n; i++) cumulative[i] /= sum;
    this.#cumulative = cumulative;
  }

  /** A rank from 1 (most popular) to n. */
  next(): number {
    const target = this.random();
    let low = 0;
    let high = this.n - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.#cumulative[middle] < target) low = middle + 1;
      else high = middle;
    }
    return low + 1;
  }
}

export const LAB_CATEGORIES = ['kitchen', 'garden', 'books', 'toys', 'tools', 'music', 'sports', 'office', 'outdoor', 'games'];

export interface CatalogWorkload {
  /** `/products/<id>`: product ids 1..products, by Zipf rank (id 1 the most viewed). */
  productView(): string;
  /** `/products?category=...&page=...&limit=20`: popular categories and first pages more often. */
  listing(): string;
}

export function catalogWorkload(options: { products: number; exponent: number; seed: number }): CatalogWorkload {
  const random = seededRandom(options.seed);
  const products = new ZipfSampler(options.products, options.exponent, random);
  const categories = new ZipfSampler(LAB_CATEGORIES.length, 1, random);
  const pages = new ZipfSampler(20, 1.2, random);
  return {
    productView: () => `/products/${products.next()}`,
    listing: () => `/products?category=${LAB_CATEGORIES[categories.next() - 1]}&page=${pages.next()}&limit=20`,
  };
}

import type { Random } from './random';

/**
 * Draws index i with probability weights[i] / sum(weights). The cumulative distribution is
 * computed once; a draw is one random number and a binary search, without allocation.
 */
export class DiscreteSampler {
  readonly size: number;
  readonly #cdf: Float64Array;

  constructor(weights: ArrayLike<number>) {
    if (weights.length < 1) throw new Error('a sampler needs at least one item');
    this.size = weights.length;
    this.#cdf = new Float64Array(weights.length);
    let sum = 0;
    for (let i = 0; i < weights.length; i++) {
      if (!(weights[i] >= 0)) throw new Error(`weight ${i} is ${weights[i]}; weights must be 0 or more`);
      sum += weights[i];
      this.#cdf[i] = sum;
    }
    if (sum === 0) throw new Error('at least one weight must be above 0');
    for (let i = 0; i < this.#cdf.length; i++) this.#cdf[i] /= sum;
    this.#cdf[this.#cdf.length - 1] = 1;
  }

  sample(random: Random): number {
    const u = random.next();
    const cdf = this.#cdf;
    let low = 0;
    let high = cdf.length - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (cdf[middle] > u) high = middle;
      else low = middle + 1;
    }
    return low;
  }

  probability(index: number): number {
    return index === 0 ? this.#cdf[0] : this.#cdf[index] - this.#cdf[index - 1];
  }
}

/**
 * Zipf popularity over `size` items: rank k (1-based) is drawn with probability proportional
 * to 1 / k^exponent, so a few products get most of the views, as in a real shop (and as a
 * cache sees it). `sample` returns a 0-based rank: 0 is the most popular item.
 */
export class ZipfSampler extends DiscreteSampler {
  readonly exponent: number;

  constructor(size: number, exponent: number) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`a Zipf sampler needs at least one item, got ${size}`);
    if (!Number.isFinite(exponent) || exponent < 0) throw new Error(`the Zipf exponent must be 0 or more, got ${exponent}`);
    super(Float64Array.from({ length: size }, (_, rank) => 1 / Math.pow(rank + 1, exponent)));
    this.exponent = exponent;
  }
}

import type { Random } from '../engine/random';
import { DiscreteSampler, ZipfSampler } from '../engine/zipf';

export interface CatalogProduct {
  id: string;
  name: string;
  category: string;
}

const SORTS = [
  ['name', 0.6],
  ['price', 0.25],
  ['newest', 0.15],
] as const;
const MAX_LIST_PAGE = 8;
const PAGE_SIZE = 20;

/**
 * What the virtual users browse, learnt from the shop itself before the run: every product
 * id (so no request asks for a product that does not exist), the categories, and the words
 * in product names to search for. Popularity is Zipf: the products are shuffled (with the
 * run's seed) and ranked, so the favourites are spread over ids and categories. Every path a
 * user can request is built here once; drawing one allocates nothing.
 */
export class Catalog {
  readonly size: number;
  readonly categories: readonly string[];
  /** `/products/<id>`, most popular first. */
  readonly productPaths: readonly string[];
  readonly productIds: readonly string[];
  readonly #products: ZipfSampler;
  readonly #listPaths: string[];
  readonly #lists: DiscreteSampler;
  readonly #searchPaths: string[];
  readonly #searches: ZipfSampler;

  constructor(products: readonly CatalogProduct[], random: Random, zipfExponent: number) {
    if (products.length === 0) throw new Error('the catalog is empty: seed it first (npm run migrate seeds 5,000 products)');
    const ranked = [...products];
    for (let i = ranked.length - 1; i > 0; i--) {
      const j = random.int(i + 1);
      [ranked[i], ranked[j]] = [ranked[j], ranked[i]];
    }
    this.size = ranked.length;
    this.productIds = ranked.map((product) => product.id);
    this.productPaths = ranked.map((product) => `/products/${encodeURIComponent(product.id)}`);
    this.#products = new ZipfSampler(ranked.length, zipfExponent);

    const byCategory = new Map<string, number>();
    for (const product of products) byCategory.set(product.category, (byCategory.get(product.category) ?? 0) + 1);
    this.categories = [...byCategory.keys()].sort();

    // List pages: page 1 most of all, sorted by name mostly, a category filter half the time.
    const lists: { path: string; weight: number }[] = [];
    const pages = Math.min(MAX_LIST_PAGE, Math.ceil(products.length / PAGE_SIZE));
    for (const [sort, sortWeight] of SORTS) {
      for (let page = 1; page <= pages; page++) {
        const pageWeight = 1 / page ** 1.5;
        lists.push({ path: `/products?page=${page}&limit=${PAGE_SIZE}&sort=${sort}`, weight: 0.5 * sortWeight * pageWeight });
        for (const category of this.categories) {
          const categoryPages = Math.ceil((byCategory.get(category) ?? 0) / PAGE_SIZE);
          if (page > categoryPages) continue;
          const share = 0.5 / this.categories.length;
          lists.push({
            path: `/products?category=${encodeURIComponent(category)}&page=${page}&limit=${PAGE_SIZE}&sort=${sort}`,
            weight: share * sortWeight * pageWeight,
          });
        }
      }
    }
    this.#listPaths = lists.map((list) => list.path);
    this.#lists = new DiscreteSampler(lists.map((list) => list.weight));

    // Searches: the words of product names, the most common words the most searched.
    const words = new Map<string, number>();
    for (const product of products) {
      for (const word of product.name.toLowerCase().split(/[^a-z]+/)) if (word.length >= 3) words.set(word, (words.get(word) ?? 0) + 1);
    }
    const terms = [...words].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([word]) => word);
    if (terms.length === 0) terms.push(products[0].name.slice(0, 3));
    this.#searchPaths = terms.map((term) => `/products?search=${encodeURIComponent(term)}&limit=${PAGE_SIZE}`);
    this.#searches = new ZipfSampler(terms.length, 1);
  }

  /** A product's popularity rank (0: the favourite). */
  productRank(random: Random): number {
    return this.#products.sample(random);
  }

  productPath(random: Random): string {
    return this.productPaths[this.#products.sample(random)];
  }

  listPath(random: Random): string {
    return this.#listPaths[this.#lists.sample(random)];
  }

  searchPath(random: Random): string {
    return this.#searchPaths[this.#searches.sample(random)];
  }

  get searchTerms(): number {
    return this.#searchPaths.length;
  }
}

interface ProductPage {
  items: CatalogProduct[];
  total: number;
}

/**
 * Reads the catalog through the shop's public API, 100 products a page (at most `limit`
 * products, evenly sampled over the pages when the catalog is larger).
 */
export async function discoverCatalog(getJson: (path: string) => Promise<unknown>, limit: number): Promise<CatalogProduct[]> {
  const first = (await getJson('/products?limit=100&page=1&sort=newest')) as ProductPage;
  if (!Array.isArray(first.items) || typeof first.total !== 'number')
    throw new Error('GET /products did not answer {items, total}: is the URL the tenk shop?');
  const pages = Math.ceil(first.total / 100);
  const wanted = Math.min(pages, Math.ceil(limit / 100));
  const products = [...first.items];
  const pageNumbers = Array.from({ length: wanted - 1 }, (_, i) => 1 + Math.round(((i + 1) * (pages - 1)) / Math.max(1, wanted - 1)));
  for (let i = 0; i < pageNumbers.length; i += 8) {
    const batch = await Promise.all(
      pageNumbers.slice(i, i + 8).map((page) => getJson(`/products?limit=100&page=${page}&sort=newest`) as Promise<ProductPage>),
    );
    for (const page of batch) products.push(...page.items);
  }
  const unique = new Map(
    products.map((product) => [String(product.id), { id: String(product.id), name: product.name, category: product.category }]),
  );
  return [...unique.values()];
}

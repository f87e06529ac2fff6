import { sampleThinkTime } from '../engine/think-time';
import type { EndpointStats } from '../engine/stats';
import type { Behaviour, RequestPlan } from '../engine/virtual-user';
import type { Catalog } from './catalog';
import type { Scenario, ScenarioContext } from './scenario';

/** Of the pages a browsing user opens: product pages, list pages, and searches the rest. */
export const BROWSE_MIX = { product: 0.5, list: 0.3 } as const;

/**
 * A window-shopper: opens product pages (Zipf-popular products), list pages (page 1 most,
 * sorted, filtered by category half the time) and searches, with a think time between pages.
 * Anonymous, GET only: the traffic a cache and read replicas are for.
 */
export class BrowsingUser implements Behaviour {
  readonly #context: ScenarioContext;
  readonly #catalog: Catalog;
  readonly #product: EndpointStats;
  readonly #list: EndpointStats;
  readonly #search: EndpointStats;

  constructor(context: ScenarioContext) {
    this.#context = context;
    this.#catalog = context.catalog;
    this.#product = context.stats.endpoint('GET /products/:id');
    this.#list = context.stats.endpoint('GET /products');
    this.#search = context.stats.endpoint('GET /products?search');
  }

  plan(request: RequestPlan): void {
    const random = this.#context.random;
    const choice = random.next();
    if (choice < BROWSE_MIX.product) {
      request.endpoint = this.#product;
      request.path = this.#catalog.productPath(random);
    } else if (choice < BROWSE_MIX.product + BROWSE_MIX.list) {
      request.endpoint = this.#list;
      request.path = this.#catalog.listPath(random);
    } else {
      request.endpoint = this.#search;
      request.path = this.#catalog.searchPath(random);
    }
  }

  after(): number {
    return sampleThinkTime(this.#context.think, this.#context.random);
  }
}

export const browse: Scenario = {
  name: 'browse',
  summary: 'anonymous shoppers: product pages (Zipf-popular), list pages, searches',
  needsUpload: false,
  behaviour: (_id, context) => new BrowsingUser(context),
};

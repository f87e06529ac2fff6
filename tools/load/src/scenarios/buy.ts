import { randomUUID } from 'node:crypto';
import { sampleThinkTime } from '../engine/think-time';
import type { EndpointStats } from '../engine/stats';
import type { Behaviour, RequestPlan, ResponseView } from '../engine/virtual-user';
import { Account } from './account';
import type { Scenario, ScenarioContext } from './scenario';

type Step = 'enter' | 'browse' | 'order' | 'view-order' | 'exit';

/** A 503 from checkout (payment provider down) is retried with the same key this many times. */
const ORDER_ATTEMPTS = 4;
const DEFAULT_RETRY_MS = 2_000;
/** After a purchase, how often the customer signs out (and signs in again next visit). */
const SIGN_OUT_SHARE = 0.5;

/**
 * A customer: signs up on the first visit (signs in on later ones), looks at 2 to 5 products,
 * puts some in the cart, and checks out with POST /orders and an Idempotency-Key. A 503 (the
 * payment provider is unavailable) is retried after Retry-After with the same key, so a retry
 * can never order twice. A 409 (sold out) is an answer, not an error: the customer starts a
 * new cart. Then it views the order, and half the time signs out.
 *
 * The orders API is optional here: until it is deployed (404 "Cannot POST /orders"), the
 * report notes it and customers keep browsing instead of failing.
 */
export class BuyingUser implements Behaviour {
  readonly #context: ScenarioContext;
  readonly #account: Account;
  readonly #product: EndpointStats;
  readonly #placeOrder: EndpointStats;
  readonly #viewOrder: EndpointStats;
  #step: Step = 'enter';
  #browsesLeft = 0;
  readonly #cart = new Map<string, number>();
  #orderKey = '';
  #orderBody = '';
  #orderAttempt = 0;
  #orderStartedAt = 0;
  #orderPath = '';

  constructor(id: number, context: ScenarioContext) {
    this.#context = context;
    this.#account = new Account('buyer', id, context);
    this.#product = context.stats.endpoint('GET /products/:id');
    this.#placeOrder = context.stats.endpoint('POST /orders', true);
    this.#viewOrder = context.stats.endpoint('GET /orders/:id', true);
  }

  plan(request: RequestPlan): void {
    switch (this.#step) {
      case 'enter':
        this.#account.planEntry(request);
        return;
      case 'browse': {
        const random = this.#context.random;
        const rank = this.#context.catalog.productRank(random);
        request.endpoint = this.#product;
        request.path = this.#context.catalog.productPaths[rank];
        // Half of the products looked at go into the cart, one or two of each.
        if (random.chance(0.5) || this.#cart.size === 0) this.#cart.set(this.#context.catalog.productIds[rank], random.between(1, 2));
        return;
      }
      case 'order':
        if (this.#orderAttempt === 0) {
          this.#orderKey = randomUUID();
          this.#orderBody = JSON.stringify({ lines: [...this.#cart].map(([productId, quantity]) => ({ productId, quantity })) });
          this.#orderStartedAt = this.#context.now();
        }
        this.#orderAttempt += 1;
        request.endpoint = this.#placeOrder;
        request.method = 'POST';
        request.path = '/orders';
        request.contentType = 'application/json';
        request.idempotencyKey = this.#orderKey;
        request.body = this.#orderBody;
        request.readBody = true;
        // Sold out (or not enough left) is the shop's answer, not a failure: a new cart follows.
        request.acceptedStatus = 409;
        return;
      case 'view-order':
        request.endpoint = this.#viewOrder;
        request.path = this.#orderPath;
        return;
      case 'exit':
        this.#account.planExit(request);
        return;
    }
  }

  after(response: ResponseView): number {
    const think = sampleThinkTime(this.#context.think, this.#context.random);
    switch (this.#step) {
      case 'enter':
        if (this.#account.afterEntry(response)) this.#startShopping();
        return think;
      case 'browse':
        this.#browsesLeft -= 1;
        if (this.#browsesLeft <= 0) {
          if (this.#placeOrder.deployed) this.#step = 'order';
          else this.#startShopping();
        }
        return think;
      case 'order':
        return this.#afterOrder(response, think);
      case 'view-order':
        if (this.#context.random.chance(SIGN_OUT_SHARE)) this.#step = 'exit';
        else this.#startShopping();
        return think;
      case 'exit':
        this.#step = 'enter';
        return think;
    }
  }

  #afterOrder(response: ResponseView, think: number): number {
    if (response.ok) {
      this.#context.stats.journey('order: first attempt -> placed', (this.#context.now() - this.#orderStartedAt) * 1_000);
      const id = orderId(response.body);
      this.#orderAttempt = 0;
      this.#cart.clear();
      if (id !== null && this.#viewOrder.deployed) {
        this.#orderPath = `/orders/${encodeURIComponent(id)}`;
        this.#step = 'view-order';
      } else {
        this.#startShopping();
      }
      return think;
    }
    if (response.status === 401) {
      this.#orderAttempt = 0;
      this.#step = 'enter';
      return think;
    }
    const retryable = response.status === 503 || response.status === 0;
    if (retryable && this.#orderAttempt < ORDER_ATTEMPTS) return response.retryAfterMs ?? DEFAULT_RETRY_MS;
    // Not deployed, refused (4xx) or out of attempts: a new cart.
    this.#orderAttempt = 0;
    this.#cart.clear();
    this.#startShopping();
    return think;
  }

  #startShopping(): void {
    this.#step = 'browse';
    this.#browsesLeft = this.#context.random.between(2, 5);
  }
}

function orderId(body: string | null): string | null {
  try {
    const parsed = JSON.parse(body ?? 'null') as { id?: unknown } | null;
    return parsed !== null && (typeof parsed.id === 'string' || typeof parsed.id === 'number') ? String(parsed.id) : null;
  } catch {
    return null;
  }
}

export const buy: Scenario = {
  name: 'buy',
  summary: 'customers: sign up or in, look at products, POST /orders with an Idempotency-Key',
  needsUpload: false,
  behaviour: (id, context) => new BuyingUser(id, context),
};

import {
  ConflictException,
  HttpException,
  HttpStatus,
  Injectable,
  ServiceUnavailableException,
  UnprocessableEntityException,
} from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Counter } from 'prom-client';
import { InjectConfig, type TenkConfig } from '@tenk/config';
import { isBucketUnavailable, isConnectionFailure, newOrderId, ShardRouter, type ShardScope } from '@tenk/database';
import { annotateActiveSpan, MetricsService } from '@tenk/observability';
import { isPaymentRequestError, isPaymentUnavailableError, PaymentsService } from '../payments';
import type { SessionUser } from '../auth/session-user';
import { IdempotencyKeys } from './idempotency-keys';
import { normalizeLines, OrderQuoter, requestFingerprint, type Quote, type RequestedLine } from './order-quote';
import type { OrderView } from './orders.dto';
import { OrdersRepository } from './orders.repository';
import { OutboxRelayService } from './outbox/outbox-relay.service';
import { OutOfStockException, StockReservations } from './stock-reservations';

/** What POST /orders answers: the order, and whether this is a replay of an earlier answer. */
export interface PlacedOrder {
  order: OrderView;
  replayed: boolean;
}

/** One attempt at writing an order: the request holding the key's claim. */
interface Attempt {
  scope: ShardScope;
  customer: SessionUser;
  key: string;
  attempt: string;
  orderId: string;
  quote: Quote;
}

type Outcome = 'placed' | 'replayed' | 'rejected' | 'out_of_stock' | 'declined' | 'payment_unavailable' | 'conflict' | 'busy' | 'error';

/**
 * Places an order, exactly once per Idempotency-Key, across two databases and a payment
 * provider, so that a crash between any two steps leaves no half-written order:
 *
 *  1. claim the key on the customer's shard (with a lease, the order id and the quote);
 *  2. hold the stock in the catalog database (stock drops now; the hold expires if never settled);
 *  3. authorize the payment (its idempotency key is the order id: a retry is never charged twice);
 *  4. in one shard transaction: check the claim is still ours, write the order, its lines and
 *     the OrderPlaced event (outbox), and store the answer under the key;
 *  5. mark the hold committed.
 *
 * The order row of step 4 is the only commit point. Before it, a failure gives the stock back
 * and frees or releases the key; after it, everything left (committing the hold, publishing
 * the event) is finished by someone else if this process dies: the sweeper, the relay.
 */
@Injectable()
export class PlaceOrderService {
  readonly #outcomes: Counter<'outcome'>;
  readonly #topic: string;

  constructor(
    private readonly router: ShardRouter,
    private readonly keys: IdempotencyKeys,
    private readonly quoter: OrderQuoter,
    private readonly stock: StockReservations,
    private readonly payments: PaymentsService,
    private readonly orders: OrdersRepository,
    private readonly relay: OutboxRelayService,
    @InjectConfig() private readonly config: TenkConfig,
    private readonly logger: PinoLogger,
    metrics: MetricsService,
  ) {
    this.logger.setContext('orders');
    this.#topic = config.messaging.kafka.ordersTopic;
    this.#outcomes = metrics.counter('tenk_order_requests_total', 'POST /orders by outcome', ['outcome']);
  }

  async place(customer: SessionUser, key: string, lines: ReadonlyArray<RequestedLine>): Promise<PlacedOrder> {
    try {
      const placed = await this.#place(customer, key, normalizeLines(lines));
      this.#outcomes.inc({ outcome: placed.replayed ? 'replayed' : 'placed' });
      return placed;
    } catch (error) {
      this.#outcomes.inc({ outcome: outcomeOf(error) });
      if (isBucketUnavailable(error)) throw retryLater(error.message, error.retryAfterSeconds);
      if (!(error instanceof HttpException) && isConnectionFailure(error))
        throw retryLater(
          `the orders database for your account (${this.router.forCustomer(customer.id).shard}) cannot be reached right now; no order was placed, retry with the same Idempotency-Key`,
          SHARD_RETRY_AFTER_SECONDS,
        );
      throw error;
    }
  }

  async #place(customer: SessionUser, key: string, lines: RequestedLine[]): Promise<PlacedOrder> {
    const fingerprint = requestFingerprint(lines);
    const scope = this.router.forCustomer(customer.id);
    annotateActiveSpan({ 'tenk.shard': scope.shard, 'tenk.shard.bucket': scope.bucket });
    const deadline = Date.now() + this.config.orders.duplicateWaitMs;
    let pause = 50;
    for (;;) {
      const existing = await this.keys.find(scope, customer.id, key);
      if (existing) {
        if (existing.requestHash !== fingerprint) {
          throw new UnprocessableEntityException(
            'this Idempotency-Key was already used with a different order; use a new key for a new order',
          );
        }
        if (existing.state === 'completed' && existing.response) return { order: existing.response, replayed: true };
        if (!existing.leased) {
          // The request that held the key died or gave up: this one carries on with the same
          // order id and quote, so the payment provider sees the same payment again.
          const attempt = randomUUID();
          const taken = await this.keys.takeOver(scope, customer.id, key, existing.attempt, attempt, this.config.orders.leaseMs);
          if (taken) {
            // The replaced attempt can no longer write its order: its stock goes back now.
            if (existing.attempt) await this.stock.release(existing.attempt);
            return this.#attempt({ scope, customer, key, attempt, orderId: taken.orderId, quote: taken.quote });
          }
          continue;
        }
        if (Date.now() + pause > deadline) {
          throw new HttpException(
            { message: 'a request with this Idempotency-Key is still being processed; retry shortly', retryAfterSeconds: 1 },
            HttpStatus.CONFLICT,
          );
        }
        await sleep(pause);
        pause = Math.min(pause * 2, 400);
        continue;
      }
      // Checked before anything is stored: unknown products leave no trace.
      const quote = await this.quoter.quote(lines);
      const attempt = randomUUID();
      const orderId = newOrderId(scope.bucket);
      const claimed = await this.keys.claim(scope, {
        customerId: customer.id,
        key,
        requestHash: fingerprint,
        orderId,
        quote,
        attempt,
        leaseMs: this.config.orders.leaseMs,
      });
      if (claimed) return this.#attempt({ scope, customer, key, attempt, orderId, quote });
      // Another request with the same key claimed it first: answer as it does.
    }
  }

  async #attempt(attempt: Attempt): Promise<PlacedOrder> {
    const { scope, customer, key, quote, orderId } = attempt;
    try {
      await this.stock.hold({
        id: attempt.attempt,
        orderId,
        customerId: customer.id,
        idempotencyKey: key,
        lines: quote.lines,
        holdMs: this.config.orders.stockHoldMs,
      });
    } catch (error) {
      if (error instanceof OutOfStockException) await this.keys.forget(scope, customer.id, key, attempt.attempt);
      else await this.keys.release(scope, customer.id, key, attempt.attempt);
      throw error;
    }

    let authorizationId: string;
    try {
      const authorization = await this.payments.authorize({
        idempotencyKey: `order-${orderId}`,
        amountCents: quote.totalCents,
        currency: quote.currency,
        reference: orderId,
      });
      if (authorization.status === 'declined') {
        await this.#giveUp(attempt, 'forget');
        throw new HttpException(
          {
            message: `the payment was declined: ${authorization.declineReason ?? 'no reason given'}`,
            declineReason: authorization.declineReason ?? null,
          },
          HttpStatus.PAYMENT_REQUIRED,
        );
      }
      authorizationId = authorization.authorizationId;
    } catch (error) {
      if (error instanceof HttpException) throw error;
      if (isPaymentUnavailableError(error)) {
        // The provider may have authorized and lost the answer: keep the key (and so the order
        // id the payment is keyed by), so the client's retry gets the same authorization back.
        await this.#giveUp(attempt, 'release');
        throw retryLater(
          `payments are unavailable right now (${error.message}); nothing was charged, retry with the same Idempotency-Key`,
          error.retryAfterSeconds,
        );
      }
      await this.#giveUp(attempt, isPaymentRequestError(error) ? 'forget' : 'release');
      if (isPaymentRequestError(error)) {
        this.logger.error({ err: error, orderId }, 'the payment provider refused the authorization request');
        throw new HttpException('the payment provider refused this payment; nothing was charged', HttpStatus.BAD_GATEWAY);
      }
      throw error;
    }
    await this.stock.noteAuthorization(attempt.attempt, authorizationId);

    let written;
    try {
      written = await scope.write(async (manager) => {
        const claim = await this.keys.lockForWrite(manager, customer.id, key, attempt.attempt);
        if (claim.status !== 'mine') return claim;
        const order = await this.orders.insert(
          manager,
          {
            id: orderId,
            bucket: scope.bucket,
            customerId: customer.id,
            customerEmail: customer.email,
            quote,
            paymentAuthorizationId: authorizationId,
            reservationId: attempt.attempt,
          },
          this.#topic,
        );
        await this.keys.complete(manager, customer.id, key, order);
        return { status: 'placed' as const, order };
      });
    } catch (error) {
      // A bucket that stayed busy (a move) refused the transaction before it began: nothing was
      // written, so the stock goes back and the retry may start at once. Any other failure may
      // have happened after the commit (a connection lost during COMMIT): only the lease ends;
      // the hold stays for the sweeper, which looks at the shard before it gives stock back.
      const cleanup = isBucketUnavailable(error)
        ? this.#giveUp(attempt, 'release')
        : this.keys.release(scope, customer.id, key, attempt.attempt);
      await cleanup.catch((cause: unknown) =>
        this.logger.warn({ err: cause, orderId }, 'could not undo a failed order write; the sweeper settles its stock hold'),
      );
      throw error;
    }

    if (written.status === 'placed') {
      await this.stock
        .commit(attempt.attempt)
        .catch((error: unknown) => this.logger.warn({ err: error, orderId }, 'could not mark the stock hold committed; the sweeper will'));
      this.relay.nudge(scope.shard);
      this.logger.info({ orderId, customerId: customer.id, totalCents: quote.totalCents, shard: scope.shard }, 'order placed');
      return { order: written.order, replayed: false };
    }
    // Another request took the key over while this one was slow: its order (or its attempt)
    // stands, this attempt's stock goes back, and the client gets the same answer as it.
    await this.stock.release(attempt.attempt);
    if (written.status === 'completed') return { order: written.response, replayed: true };
    throw new HttpException(
      { message: 'a newer request with this Idempotency-Key took over; retry to get its answer', retryAfterSeconds: 1 },
      HttpStatus.CONFLICT,
    );
  }

  /** Gives the stock back, then frees the key ('forget') or only ends the lease ('release'). */
  async #giveUp(attempt: Attempt, key: 'forget' | 'release'): Promise<void> {
    await this.stock.release(attempt.attempt);
    if (key === 'forget') await this.keys.forget(attempt.scope, attempt.customer.id, attempt.key, attempt.attempt);
    else await this.keys.release(attempt.scope, attempt.customer.id, attempt.key, attempt.attempt);
  }
}

/** How long a client should wait before retrying when its shard is unreachable. */
const SHARD_RETRY_AFTER_SECONDS = 5;

/** A 503 with Retry-After (ErrorResponsesFilter sends the header from `retryAfterSeconds`). */
function retryLater(message: string, retryAfterSeconds: number): ServiceUnavailableException {
  return new ServiceUnavailableException({ message, retryAfterSeconds });
}

function outcomeOf(error: unknown): Outcome {
  if (error instanceof OutOfStockException) return 'out_of_stock';
  if (error instanceof ServiceUnavailableException) return 'payment_unavailable';
  if (isBucketUnavailable(error)) return 'busy';
  if (error instanceof ConflictException || (error instanceof HttpException && error.getStatus() === HttpStatus.CONFLICT))
    return 'conflict';
  if (error instanceof HttpException && error.getStatus() === HttpStatus.PAYMENT_REQUIRED) return 'declined';
  if (error instanceof HttpException && error.getStatus() < 500) return 'rejected';
  return 'error';
}

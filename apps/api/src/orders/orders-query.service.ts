import { BadRequestException, HttpException, Injectable, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { decodeCursor, encodeCursor, isBucketUnavailable, isConnectionFailure, mergeSorted, ShardRouter } from '@tenk/database';
import type { SessionUser } from '../auth/session-user';
import { isUuid } from '../common/list-query';
import type { OrderPage, OrderView } from './orders.dto';
import { OrdersRepository, type OrderKey } from './orders.repository';

/**
 * Reading orders: one order (from its id alone, no lookup), one customer's orders (one shard),
 * and every order since a time (all shards, merged). Customers see only their own orders;
 * anyone else's answers 404, exactly as an order that does not exist.
 */
@Injectable()
export class OrdersQueryService {
  constructor(
    private readonly router: ShardRouter,
    private readonly orders: OrdersRepository,
  ) {}

  async get(viewer: SessionUser, orderId: string): Promise<OrderView> {
    const scope = this.router.forOrder(orderId);
    const order = scope ? await unavailableAs503(scope.read((manager) => this.orders.get(manager, orderId))) : undefined;
    if (!order || (order.customerId !== viewer.id && viewer.role !== 'admin'))
      throw new NotFoundException(`order ${orderId} does not exist`);
    return order;
  }

  async listForCustomer(viewer: SessionUser, customerId: string, limit: number, after?: string): Promise<OrderPage> {
    if ((customerId !== viewer.id && viewer.role !== 'admin') || !isUuid(customerId))
      throw new NotFoundException(`customer ${customerId} does not exist`);
    const key = after === undefined ? undefined : parseKey(after);
    const items = await unavailableAs503(
      this.router.forCustomer(customerId).read((manager) => this.orders.listByCustomer(manager, customerId, limit + 1, key)),
    );
    return page(items, limit);
  }

  /**
   * Every shard's orders since `since`, oldest first, merged: each shard returns its first
   * `limit` after the cursor, so the merge's first `limit` are the overall first `limit`. A
   * shard that fails makes the whole page fail (503): a page that silently skipped a shard would
   * lose its orders for good once the cursor moved past them.
   */
  async listAll(since: string, limit: number, after?: string): Promise<OrderPage> {
    const key = after === undefined ? undefined : parseKey(after);
    const result = await unavailableAs503(
      this.router.all((manager, { owned }) => this.orders.listSince(manager, owned, since, limit + 1, key)),
    );
    if (result.failed.length > 0) {
      throw new ServiceUnavailableException({
        message: `shard ${result.failed.map((f) => `${f.shard} (${f.error.message})`).join(', ')} did not answer; the listing would be incomplete, retry shortly`,
        retryAfterSeconds: 2,
      });
    }
    const lists = result.outcomes.map((outcome) => (outcome.ok ? outcome.value : []));
    const merged = mergeSorted(
      lists,
      (a, b) => compareText(a.createdAt, b.createdAt) || compareText(a.id, b.id),
      limit + 1,
      (order) => order.id,
    );
    return page(merged, limit);
  }
}

function page(items: OrderView[], limit: number): OrderPage {
  const shown = items.slice(0, limit);
  const last = shown[shown.length - 1];
  return { items: shown, next: items.length > limit && last ? encodeCursor([last.createdAt, last.id]) : null };
}

function parseKey(cursor: string): OrderKey {
  const key = decodeCursor(cursor, ['string', 'string']);
  if (!key || Number.isNaN(Date.parse(String(key[0]))))
    throw new BadRequestException('after is not a cursor from this listing; pass the `next` value of the previous page');
  return [String(key[0]), String(key[1])];
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function unavailableAs503<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (isBucketUnavailable(error))
      throw new ServiceUnavailableException({ message: error.message, retryAfterSeconds: error.retryAfterSeconds });
    if (!(error instanceof HttpException) && isConnectionFailure(error))
      throw new ServiceUnavailableException({
        message: 'an orders database cannot be reached right now; retry shortly',
        retryAfterSeconds: 5,
      });
    throw error;
  }
}

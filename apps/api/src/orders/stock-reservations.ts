import { ConflictException, Injectable, Optional } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import type { EntityManager } from 'typeorm';
import { CacheService } from '@tenk/caching';
import { CatalogDatabase } from '@tenk/database';
import type { RequestedLine } from './order-quote';

export interface Hold {
  /** The attempt taking the hold (one per attempt, so a replaced attempt's hold is its own). */
  id: string;
  orderId: string;
  customerId: string;
  idempotencyKey: string;
  lines: ReadonlyArray<RequestedLine>;
  holdMs: number;
}

/** A held reservation that outlived its expiry, for the sweeper to settle. */
export interface ExpiredHold {
  id: string;
  orderId: string;
  customerId: string;
  idempotencyKey: string;
}

/** Not enough stock for a line: a 409 naming the product, what is left and what was asked. */
export class OutOfStockException extends ConflictException {
  constructor(productId: string, name: string, available: number, requested: number) {
    super({ message: `only ${available} of product ${productId} (${name}) left; ${requested} requested`, productId, available, requested });
  }
}

/**
 * Stock holds in the catalog database. Taking a hold lowers `products.stock` at once (so two
 * orders can never sell the same last item) and records the hold; the order on its shard is
 * what later decides the hold's fate: committed if the order exists, released (stock given
 * back) if it never will.
 */
@Injectable()
export class StockReservations {
  constructor(
    private readonly catalog: CatalogDatabase,
    private readonly logger: PinoLogger,
    @Optional() private readonly cache?: CacheService,
  ) {
    this.logger.setContext('stock');
  }

  /** Takes the hold, all lines or none; idempotent per hold id. Throws OutOfStockException. */
  async hold(hold: Hold): Promise<void> {
    await this.catalog.write(async (manager) => {
      const existing = (await manager.query('SELECT 1 FROM stock_reservations WHERE id = $1', [hold.id])) as unknown[];
      if (existing.length > 0) return;
      // Product rows are locked in id order (the lines are sorted), so two orders sharing
      // products cannot deadlock.
      for (const line of hold.lines) {
        const taken = affected(
          await manager.query('UPDATE products SET stock = stock - $2 WHERE id = $1 AND stock >= $2', [line.productId, line.quantity]),
        );
        if (taken === 0) {
          const [product] = (await manager.query('SELECT name, stock FROM products WHERE id = $1', [line.productId])) as Array<{
            name: string;
            stock: number;
          }>;
          throw new OutOfStockException(line.productId, product?.name ?? 'unknown', product?.stock ?? 0, line.quantity);
        }
      }
      await manager.query(
        `INSERT INTO stock_reservations (id, order_id, customer_id, idempotency_key, state, expires_at)
         VALUES ($1, $2, $3, $4, 'held', now() + $5 * interval '1 millisecond')`,
        [hold.id, hold.orderId, hold.customerId, hold.idempotencyKey, hold.holdMs],
      );
      await manager.query(
        `INSERT INTO stock_reservation_lines (reservation_id, product_id, quantity)
         SELECT $1, unnest($2::bigint[]), unnest($3::int[])`,
        [hold.id, hold.lines.map((line) => line.productId), hold.lines.map((line) => line.quantity)],
      );
    });
    await this.#stockChanged(hold.lines.map((line) => line.productId));
  }

  /** Notes the payment authorization taken for the hold (for whoever reconciles payments). */
  async noteAuthorization(id: string, authorizationId: string): Promise<void> {
    await this.catalog.primary.query('UPDATE stock_reservations SET payment_authorization_id = $2, updated_at = now() WHERE id = $1', [
      id,
      authorizationId,
    ]);
  }

  /** The order exists: the stock is sold. Idempotent. */
  async commit(id: string, manager?: EntityManager): Promise<void> {
    await (manager ?? this.catalog.primary).query(
      `UPDATE stock_reservations SET state = 'committed', updated_at = now() WHERE id = $1 AND state = 'held'`,
      [id],
    );
  }

  /** The order will never exist: the stock goes back. Idempotent (only a held hold gives back). */
  async release(id: string, manager?: EntityManager): Promise<boolean> {
    const work = async (tx: EntityManager) => {
      const released = affected(
        await tx.query(`UPDATE stock_reservations SET state = 'released', updated_at = now() WHERE id = $1 AND state = 'held'`, [id]),
      );
      if (released === 0) return [];
      const rows = (await tx.query(
        'UPDATE products p SET stock = p.stock + l.quantity FROM stock_reservation_lines l WHERE l.reservation_id = $1 AND p.id = l.product_id RETURNING p.id::text AS id',
        [id],
      )) as [Array<{ id: string }>, number];
      return rows[0].map((row) => row.id);
    };
    const products = manager ? await work(manager) : await this.catalog.write(work);
    // Inside a caller's transaction (the sweeper) this runs before the commit: a read in between
    // may cache the old stock again, until that entry's TTL.
    await this.#stockChanged(products);
    return products.length > 0;
  }

  /** Product pages show stock: drop their cached copies (the cache fails open; so does this). */
  async #stockChanged(productIds: readonly string[]): Promise<void> {
    if (!this.cache || productIds.length === 0) return;
    await this.cache
      .invalidate(productIds.map((id) => `product:${id}`))
      .catch((error: unknown) => this.logger.warn({ err: error, productIds }, 'could not invalidate cached products after a stock change'));
  }

  /**
   * Runs `settle` for each expired held hold, one at a time, each in its own transaction that
   * locks the hold (SKIP LOCKED: several api instances sweep without stepping on each other).
   */
  async settleExpired(limit: number, settle: (hold: ExpiredHold, manager: EntityManager) => Promise<void>): Promise<number> {
    let settled = 0;
    for (; settled < limit; settled++) {
      const done = await this.catalog.primary.transaction(async (manager) => {
        const [row] = (await manager.query(
          `SELECT id, order_id, customer_id, idempotency_key FROM stock_reservations
           WHERE state = 'held' AND expires_at < now() ORDER BY expires_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
        )) as Array<{ id: string; order_id: string; customer_id: string; idempotency_key: string }>;
        if (!row) return false;
        await settle({ id: row.id, orderId: row.order_id, customerId: row.customer_id, idempotencyKey: row.idempotency_key }, manager);
        return true;
      });
      if (!done) break;
    }
    return settled;
  }

  /** Deletes settled holds older than `retentionMs`; returns how many. */
  async prune(retentionMs: number): Promise<number> {
    return affected(
      await this.catalog.primary.query(
        `DELETE FROM stock_reservations WHERE id IN (SELECT id FROM stock_reservations WHERE state <> 'held' AND updated_at < now() - $1 * interval '1 millisecond' LIMIT 10000)`,
        [retentionMs],
      ),
    );
  }
}

/** Rows touched by an UPDATE/DELETE through TypeORM's query() (`[rows, count]` on PostgreSQL). */
export function affected(result: unknown): number {
  if (Array.isArray(result) && result.length === 2 && typeof result[1] === 'number') return result[1];
  return Array.isArray(result) ? result.length : 0;
}

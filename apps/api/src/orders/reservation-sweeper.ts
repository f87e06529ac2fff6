import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import type { EntityManager } from 'typeorm';
import { InjectConfig, type TenkConfig } from '@tenk/config';
import { ShardRouter } from '@tenk/database';
import { MetricsService } from '@tenk/observability';
import type { Counter } from 'prom-client';
import { affected, StockReservations, type ExpiredHold } from './stock-reservations';

/**
 * Settles stock holds whose request died between taking the hold and writing the order. For
 * each expired hold, its order's shard decides, with the idempotency key locked: if the order
 * was written with this hold, the hold is committed; if not, the hold's attempt is revoked (it
 * can never write the order now) and the stock goes back. Also prunes old keys and holds.
 */
@Injectable()
export class ReservationSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  #timer: NodeJS.Timeout | undefined;
  #sweeping: Promise<unknown> | undefined;
  readonly #settled: Counter<'decision'>;

  constructor(
    private readonly router: ShardRouter,
    private readonly stock: StockReservations,
    @InjectConfig() private readonly config: TenkConfig,
    private readonly logger: PinoLogger,
    metrics: MetricsService,
  ) {
    this.logger.setContext('reservation-sweeper');
    this.#settled = metrics.counter(
      'tenk_stock_holds_settled_total',
      'Expired stock holds settled by the sweeper: committed (the order exists) or released',
      ['decision'],
    );
  }

  /** Settles every expired hold now (up to `limit`); returns how many. */
  async sweep(limit = 500): Promise<number> {
    return this.stock.settleExpired(limit, (hold, manager) => this.#settle(hold, manager));
  }

  /** Deletes idempotency keys past their retention on every shard, and settled holds. */
  async prune(): Promise<void> {
    const retentionMs = this.config.orders.keyRetentionMs;
    for (const shard of this.router.map.shards()) {
      const deleted = await this.router.onShard({ shard, operation: 'write' }, async (source) =>
        affected(
          await source.query(
            `DELETE FROM idempotency_keys WHERE (customer_id, key) IN (
               SELECT customer_id, key FROM idempotency_keys
               WHERE created_at < now() - $1 * interval '1 millisecond' AND (state = 'completed' OR lease_until < now()) LIMIT 10000)`,
            [retentionMs],
          ),
        ),
      );
      if (deleted > 0) this.logger.info({ shard, deleted }, 'pruned expired idempotency keys');
    }
    await this.stock.prune(retentionMs);
  }

  async #settle(hold: ExpiredHold, catalog: EntityManager): Promise<void> {
    const scope = this.router.forOrder(hold.orderId);
    if (!scope) {
      this.logger.error({ hold }, 'stock hold with an unreadable order id; releasing it');
      await this.stock.release(hold.id, catalog);
      return;
    }
    const decision = await scope.write(async (shard) => {
      // The key first: a request writing the order holds it, so we wait for it and then see its order.
      const [key] = (await shard.query('SELECT state, attempt FROM idempotency_keys WHERE customer_id = $1 AND key = $2 FOR UPDATE', [
        hold.customerId,
        hold.idempotencyKey,
      ])) as Array<{ state: string; attempt: string | null }>;
      const [order] = (await shard.query('SELECT reservation_id FROM orders WHERE id = $1', [hold.orderId])) as Array<{
        reservation_id: string;
      }>;
      if (order?.reservation_id === hold.id) return 'commit' as const;
      if (key?.state === 'in_progress' && key.attempt === hold.id) {
        // Revoked: the dead attempt can no longer write; a retry of the request starts a new one.
        await shard.query(
          `UPDATE idempotency_keys SET attempt = NULL, lease_until = LEAST(lease_until, now()), updated_at = now() WHERE customer_id = $1 AND key = $2`,
          [hold.customerId, hold.idempotencyKey],
        );
      }
      return 'release' as const;
    });
    if (decision === 'commit') await this.stock.commit(hold.id, catalog);
    else await this.stock.release(hold.id, catalog);
    this.#settled.inc({ decision: decision === 'commit' ? 'committed' : 'released' });
    this.logger.info(
      { holdId: hold.id, orderId: hold.orderId, decision },
      `expired stock hold ${decision === 'commit' ? 'committed: its order exists' : 'released: its order was never written'}`,
    );
  }

  onApplicationBootstrap(): void {
    const run = () => {
      this.#sweeping = this.sweep()
        .then(() => this.prune())
        .catch((error: unknown) => this.logger.warn({ err: error }, 'stock hold sweep failed; trying again at the next interval'))
        .finally(() => {
          this.#sweeping = undefined;
          if (this.#timer) this.#timer = setTimeout(run, this.config.orders.sweepIntervalMs).unref();
        });
    };
    this.#timer = setTimeout(run, this.config.orders.sweepIntervalMs).unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#sweeping;
  }
}

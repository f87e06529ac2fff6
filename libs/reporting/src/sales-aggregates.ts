import { Injectable } from '@nestjs/common';
import type { OrderPlacedV1 } from '@tenk/contracts';
import { CatalogDatabase } from '@tenk/database';

export type ApplyOutcome = 'applied' | 'duplicate';

/**
 * Sales per day and product, and per day and customer, built from OrderPlaced events. Each
 * event is applied in one transaction with the record that it was applied: a redelivered
 * event finds its id taken and changes nothing, so Kafka's at-least-once delivery adds up to
 * exactly-once totals. Days are UTC days of the event's `occurredAt`.
 */
@Injectable()
export class SalesAggregates {
  constructor(private readonly db: CatalogDatabase) {}

  async apply(event: OrderPlacedV1): Promise<ApplyOutcome> {
    const occurredAt = new Date(event.occurredAt);
    return this.db.primary.transaction(async (manager) => {
      const claimed = (await manager.query(
        `INSERT INTO sales_events_applied (event_id, order_id, occurred_at) VALUES ($1, $2, $3) ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
        [event.eventId, event.orderId, occurredAt],
      )) as unknown[];
      if (claimed.length === 0) return 'duplicate';
      const day = occurredAt.toISOString().slice(0, 10);
      const items = event.lines.reduce((sum, line) => sum + line.quantity, 0);
      await manager.query(
        `INSERT INTO sales_daily_customers (customer_id, day, currency, orders, items, total_cents) VALUES ($1, $2, $3, 1, $4, $5)
         ON CONFLICT (customer_id, day, currency) DO UPDATE SET
           orders = sales_daily_customers.orders + 1,
           items = sales_daily_customers.items + EXCLUDED.items,
           total_cents = sales_daily_customers.total_cents + EXCLUDED.total_cents`,
        [event.customerId, day, event.currency, items, event.totalCents],
      );
      for (const line of mergeLines(event)) {
        await manager.query(
          `INSERT INTO sales_daily_products (day, product_id, currency, sku, name, quantity, revenue_cents, orders) VALUES ($1, $2, $3, $4, $5, $6, $7, 1)
           ON CONFLICT (day, product_id, currency) DO UPDATE SET
             sku = EXCLUDED.sku,
             name = EXCLUDED.name,
             quantity = sales_daily_products.quantity + EXCLUDED.quantity,
             revenue_cents = sales_daily_products.revenue_cents + EXCLUDED.revenue_cents,
             orders = sales_daily_products.orders + 1`,
          [day, line.productId, event.currency, line.sku, line.name, line.quantity, line.revenueCents],
        );
      }
      return 'applied';
    });
  }
}

/** One row per product: an order listing a product twice counts as one order of it. */
function mergeLines(event: OrderPlacedV1): Array<{ productId: string; sku: string; name: string; quantity: number; revenueCents: number }> {
  const merged = new Map<string, { productId: string; sku: string; name: string; quantity: number; revenueCents: number }>();
  for (const line of event.lines) {
    const existing = merged.get(line.productId);
    const revenue = line.quantity * line.unitPriceCents;
    if (existing) {
      existing.quantity += line.quantity;
      existing.revenueCents += revenue;
    } else {
      merged.set(line.productId, {
        productId: line.productId,
        sku: line.sku,
        name: line.name,
        quantity: line.quantity,
        revenueCents: revenue,
      });
    }
  }
  return [...merged.values()];
}

import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { parseOrderPlacedV1, type OrderPlacedV1 } from '@tenk/contracts';
import { currentTraceparent } from '@tenk/observability';
import type { OrderLineView, OrderView } from './orders.dto';
import type { Quote } from './order-quote';

export interface NewOrder {
  id: string;
  bucket: number;
  customerId: string;
  customerEmail: string;
  quote: Quote;
  paymentAuthorizationId: string;
  reservationId: string;
}

/** A keyset position: the sort key of the last row of the previous page. */
export type OrderKey = [createdAt: string, id: string];

interface OrderRow {
  id: string;
  customer_id: string;
  status: 'placed' | 'cancelled';
  currency: string;
  total_cents: string | number;
  created_at: Date;
  lines: Array<{ product_id: string; sku: string; name: string; quantity: number; unit_price_cents: number }> | null;
}

const ORDER_COLUMNS = `o.id, o.customer_id, o.status, o.currency, o.total_cents, o.created_at,
  (SELECT json_agg(json_build_object('product_id', l.product_id::text, 'sku', l.sku, 'name', l.name, 'quantity', l.quantity, 'unit_price_cents', l.unit_price_cents) ORDER BY l.line_no)
     FROM order_lines l WHERE l.order_id = o.id) AS lines`;

/** Order rows on a shard. Every method runs in the caller's shard transaction (ShardScope). */
@Injectable()
export class OrdersRepository {
  /**
   * Writes the order, its lines and its OrderPlaced event into the outbox, in the caller's
   * transaction: the event exists if and only if the order does.
   */
  async insert(manager: EntityManager, order: NewOrder, topic: string): Promise<OrderView> {
    const [row] = (await manager.query(
      `INSERT INTO orders (id, bucket, customer_id, status, currency, total_cents, payment_authorization_id, reservation_id)
       VALUES ($1, $2, $3, 'placed', $4, $5, $6, $7) RETURNING created_at`,
      [
        order.id,
        order.bucket,
        order.customerId,
        order.quote.currency,
        order.quote.totalCents,
        order.paymentAuthorizationId,
        order.reservationId,
      ],
    )) as Array<{ created_at: Date }>;
    const lines = order.quote.lines;
    await manager.query(
      `INSERT INTO order_lines (order_id, line_no, bucket, product_id, sku, name, quantity, unit_price_cents)
       SELECT $1, ordinality, $2, product_id, sku, name, quantity, unit_price_cents
       FROM unnest($3::bigint[], $4::text[], $5::text[], $6::int[], $7::int[]) WITH ORDINALITY AS l(product_id, sku, name, quantity, unit_price_cents, ordinality)`,
      [
        order.id,
        order.bucket,
        lines.map((l) => l.productId),
        lines.map((l) => l.sku),
        lines.map((l) => l.name),
        lines.map((l) => l.quantity),
        lines.map((l) => l.unitPriceCents),
      ],
    );
    const view: OrderView = {
      id: order.id,
      status: 'placed',
      customerId: order.customerId,
      totalCents: order.quote.totalCents,
      currency: order.quote.currency,
      lines: lines.map((line) => ({
        productId: line.productId,
        sku: line.sku,
        name: line.name,
        quantity: line.quantity,
        unitPriceCents: line.unitPriceCents,
        lineTotalCents: line.quantity * line.unitPriceCents,
      })),
      createdAt: row.created_at.toISOString(),
    };
    const event = orderPlaced(view, order.customerEmail);
    // The request's trace goes with the row: the relay continues it when it publishes.
    await manager.query(
      `INSERT INTO outbox (event_id, topic, message_key, event_type, payload, trace_parent) VALUES ($1, $2, $3, 'OrderPlaced', $4, $5)`,
      [event.eventId, topic, order.id, JSON.stringify(event), currentTraceparent() ?? null],
    );
    return view;
  }

  async get(manager: EntityManager, orderId: string): Promise<OrderView | undefined> {
    const rows = (await manager.query(`SELECT ${ORDER_COLUMNS} FROM orders o WHERE o.id = $1`, [orderId])) as OrderRow[];
    return rows[0] ? toView(rows[0]) : undefined;
  }

  /** A customer's orders, newest first, after `after` (orders_customer_recent_idx). */
  async listByCustomer(manager: EntityManager, customerId: string, limit: number, after?: OrderKey): Promise<OrderView[]> {
    const rows = (await manager.query(
      after
        ? `SELECT ${ORDER_COLUMNS} FROM orders o WHERE o.customer_id = $1 AND (o.created_at, o.id) < ($3::timestamptz, $4) ORDER BY o.created_at DESC, o.id DESC LIMIT $2`
        : `SELECT ${ORDER_COLUMNS} FROM orders o WHERE o.customer_id = $1 ORDER BY o.created_at DESC, o.id DESC LIMIT $2`,
      after ? [customerId, limit, after[0], after[1]] : [customerId, limit],
    )) as OrderRow[];
    return rows.map(toView);
  }

  /**
   * One shard's orders since `since`, oldest first, after `after`, only from the buckets the
   * shard owns in this snapshot (a bucket being moved is never read from both copies).
   */
  async listSince(manager: EntityManager, owned: readonly number[], since: string, limit: number, after?: OrderKey): Promise<OrderView[]> {
    const rows = (await manager.query(
      after
        ? `SELECT ${ORDER_COLUMNS} FROM orders o WHERE o.bucket = ANY($1::smallint[]) AND o.created_at >= $2::timestamptz AND (o.created_at, o.id) > ($4::timestamptz, $5) ORDER BY o.created_at, o.id LIMIT $3`
        : `SELECT ${ORDER_COLUMNS} FROM orders o WHERE o.bucket = ANY($1::smallint[]) AND o.created_at >= $2::timestamptz ORDER BY o.created_at, o.id LIMIT $3`,
      after ? [owned, since, limit, after[0], after[1]] : [owned, since, limit],
    )) as OrderRow[];
    return rows.map(toView);
  }
}

/** The OrderPlaced v1 event for an order, checked against its contract before it is stored. */
export function orderPlaced(order: OrderView, customerEmail: string): OrderPlacedV1 {
  return parseOrderPlacedV1({
    type: 'OrderPlaced',
    version: 1,
    eventId: randomUUID(),
    occurredAt: order.createdAt,
    orderId: order.id,
    customerId: order.customerId,
    customerEmail,
    currency: order.currency,
    totalCents: order.totalCents,
    lines: order.lines.map((line) => ({
      productId: line.productId,
      sku: line.sku,
      name: line.name,
      quantity: line.quantity,
      unitPriceCents: line.unitPriceCents,
    })),
  });
}

function toView(row: OrderRow): OrderView {
  const lines: OrderLineView[] = (row.lines ?? []).map((line) => ({
    productId: line.product_id,
    sku: line.sku,
    name: line.name,
    quantity: line.quantity,
    unitPriceCents: line.unit_price_cents,
    lineTotalCents: line.quantity * line.unit_price_cents,
  }));
  return {
    id: row.id,
    status: row.status,
    customerId: row.customer_id,
    totalCents: Number(row.total_cents),
    currency: row.currency.trim(),
    lines,
    createdAt: row.created_at.toISOString(),
  };
}

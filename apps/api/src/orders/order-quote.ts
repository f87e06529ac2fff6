import { BadRequestException, Injectable, UnprocessableEntityException } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { CatalogDatabase } from '@tenk/database';

/** One line as asked for, after checks: each product at most once. */
export interface RequestedLine {
  productId: string;
  quantity: number;
}

/** A line priced from the catalog at the moment the order was first asked for. */
export interface QuotedLine extends RequestedLine {
  sku: string;
  name: string;
  unitPriceCents: number;
}

/** What the customer is charged: fixed at the first attempt and kept with the idempotency key. */
export interface Quote {
  currency: string;
  totalCents: number;
  lines: QuotedLine[];
}

/**
 * Lines in a canonical form (sorted by product), refusing a product named twice: the same
 * request written with its lines in another order is the same request.
 */
export function normalizeLines(lines: ReadonlyArray<RequestedLine>): RequestedLine[] {
  const seen = new Map<string, number>();
  for (const line of lines) seen.set(line.productId, (seen.get(line.productId) ?? 0) + 1);
  const repeated = [...seen].filter(([, count]) => count > 1).map(([productId]) => productId);
  if (repeated.length > 0) {
    throw new BadRequestException(`product ${repeated.join(', ')} appears in more than one line; put the whole quantity on one line`);
  }
  return [...lines].map(({ productId, quantity }) => ({ productId, quantity })).sort((a, b) => compareIds(a.productId, b.productId));
}

/** The fingerprint of a request body: same lines, same fingerprint (Idempotency-Key checks). */
export function requestFingerprint(lines: ReadonlyArray<RequestedLine>): string {
  return createHash('sha256')
    .update(JSON.stringify(lines.map((line) => [line.productId, line.quantity])))
    .digest('hex');
}

function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * Prices an order from the catalog primary (a price about to be charged is never read from
 * a replica that may lag). Unknown products are named in a 400 before anything is stored.
 */
@Injectable()
export class OrderQuoter {
  constructor(private readonly catalog: CatalogDatabase) {}

  async quote(lines: ReadonlyArray<RequestedLine>): Promise<Quote> {
    const rows = (await this.catalog.primary.query(
      'SELECT id::text AS id, sku, name, price_cents, currency FROM products WHERE id = ANY($1::bigint[])',
      [lines.map((line) => line.productId)],
    )) as Array<{
      id: string;
      sku: string;
      name: string;
      price_cents: number;
      currency: string;
    }>;
    const byId = new Map(rows.map((row) => [row.id, row]));
    const unknown = lines.filter((line) => !byId.has(line.productId)).map((line) => line.productId);
    if (unknown.length > 0) throw new BadRequestException(`no product with id ${unknown.join(', ')}; pick products from GET /products`);
    const currencies = new Set(rows.map((row) => row.currency.trim()));
    if (currencies.size > 1)
      throw new UnprocessableEntityException(`the products are priced in ${[...currencies].join(' and ')}; one order takes one currency`);
    const quoted = lines.flatMap((line) => {
      const product = byId.get(line.productId);
      return product
        ? [
            {
              productId: line.productId,
              quantity: line.quantity,
              sku: product.sku,
              name: product.name,
              unitPriceCents: product.price_cents,
            },
          ]
        : [];
    });
    return {
      currency: [...currencies][0],
      totalCents: quoted.reduce((sum, line) => sum + line.unitPriceCents * line.quantity, 0),
      lines: quoted,
    };
  }
}

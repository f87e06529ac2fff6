import { Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
import type { ReportType } from '@tenk/contracts';
import { CatalogDatabase } from '@tenk/database';
import { InjectObjectStore, type ObjectStore } from '@tenk/storage';
import { centsToAmount, csvLine, type CsvValue } from './csv';
import type { ReportRequest } from './report-request.entity';
import { reportFileKey } from './report-requests';

interface ReportQuery {
  header: readonly string[];
  sql: string;
  params(request: ReportRequest): unknown[];
  row(record: Record<string, string>): CsvValue[];
}

const money = (cents: string) => [Number(cents), centsToAmount(Number(cents))] as const;

/**
 * The reports, each a query over the sales aggregates. The aggregates are already summed per
 * day, so even a year of sales-by-product is at most one row per product and currency.
 */
const QUERIES: Record<ReportType, ReportQuery> = {
  'my-orders': {
    header: ['day', 'currency', 'orders', 'items', 'total_cents', 'total'],
    sql: `SELECT to_char(day, 'YYYY-MM-DD') AS day, currency, orders, items, total_cents
            FROM sales_daily_customers WHERE customer_id = $1 AND day BETWEEN $2 AND $3 ORDER BY day, currency`,
    params: (request) => [request.ownerId, request.fromDay, request.toDay],
    row: (r) => [r['day'], r['currency'], Number(r['orders']), Number(r['items']), ...money(r['total_cents'])],
  },
  'sales-by-day': {
    header: ['day', 'currency', 'orders', 'items', 'revenue_cents', 'revenue'],
    sql: `SELECT to_char(day, 'YYYY-MM-DD') AS day, currency, sum(orders) AS orders, sum(items) AS items, sum(total_cents) AS revenue_cents
            FROM sales_daily_customers WHERE day BETWEEN $1 AND $2 GROUP BY day, currency ORDER BY day, currency`,
    params: (request) => [request.fromDay, request.toDay],
    row: (r) => [r['day'], r['currency'], Number(r['orders']), Number(r['items']), ...money(r['revenue_cents'])],
  },
  'sales-by-product': {
    header: ['product_id', 'sku', 'name', 'currency', 'orders', 'quantity', 'revenue_cents', 'revenue'],
    sql: `SELECT product_id, max(sku) AS sku, max(name) AS name, currency, sum(orders) AS orders, sum(quantity) AS quantity, sum(revenue_cents) AS revenue_cents
            FROM sales_daily_products WHERE day BETWEEN $1 AND $2 GROUP BY product_id, currency ORDER BY sum(revenue_cents) DESC, product_id, currency`,
    params: (request) => [request.fromDay, request.toDay],
    row: (r) => [
      r['product_id'],
      r['sku'],
      r['name'],
      r['currency'],
      Number(r['orders']),
      Number(r['quantity']),
      ...money(r['revenue_cents']),
    ],
  },
};

export interface BuiltReport {
  fileKey: string;
  rowCount: number;
  bytes: number;
}

/** Writes a report's CSV into storage (atomically: a half-written file is never visible). */
@Injectable()
export class ReportBuilder {
  constructor(
    private readonly db: CatalogDatabase,
    @InjectObjectStore() private readonly store: ObjectStore,
  ) {}

  async build(request: ReportRequest): Promise<BuiltReport> {
    const query = QUERIES[request.type];
    const records = (await this.db.primary.query(query.sql, query.params(request))) as Array<Record<string, string>>;
    const fileKey = reportFileKey(request.id);
    const lines = (function* () {
      yield csvLine(query.header);
      for (const record of records) yield csvLine(query.row(record));
    })();
    const stored = await this.store.put(fileKey, Readable.from(lines));
    return { fileKey, rowCount: records.length, bytes: stored.size };
  }
}

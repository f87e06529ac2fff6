import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sales aggregates built from OrderPlaced events (per day and product, per day and customer),
 * the events already applied (so a redelivered one changes nothing), and report requests.
 */
export class SalesReports1795824180000 implements MigrationInterface {
  name = 'SalesReports1795824180000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE sales_events_applied (
        event_id text PRIMARY KEY,
        order_id text NOT NULL,
        occurred_at timestamptz NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE sales_daily_products (
        day date NOT NULL,
        product_id text NOT NULL,
        currency char(3) NOT NULL,
        sku text NOT NULL,
        name text NOT NULL,
        quantity bigint NOT NULL,
        revenue_cents bigint NOT NULL,
        orders integer NOT NULL,
        PRIMARY KEY (day, product_id, currency)
      )`);
    await queryRunner.query(`
      CREATE TABLE sales_daily_customers (
        customer_id text NOT NULL,
        day date NOT NULL,
        currency char(3) NOT NULL,
        orders integer NOT NULL,
        items bigint NOT NULL,
        total_cents bigint NOT NULL,
        PRIMARY KEY (customer_id, day, currency)
      )`);
    await queryRunner.query(`CREATE INDEX sales_daily_customers_day ON sales_daily_customers (day)`);
    await queryRunner.query(`
      CREATE TABLE report_requests (
        id uuid PRIMARY KEY,
        owner_id uuid NOT NULL,
        type text NOT NULL CHECK (type IN ('my-orders', 'sales-by-day', 'sales-by-product')),
        from_day date NOT NULL,
        to_day date NOT NULL,
        state text NOT NULL CHECK (state IN ('queued', 'building', 'ready', 'failed', 'expired')),
        error text,
        file_key text,
        row_count integer,
        bytes bigint,
        attempts integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz,
        expires_at timestamptz,
        CHECK (to_day >= from_day)
      )`);
    await queryRunner.query(`CREATE INDEX report_requests_owner_created ON report_requests (owner_id, created_at DESC)`);
    await queryRunner.query(`CREATE INDEX report_requests_expiry ON report_requests (expires_at) WHERE state = 'ready'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE report_requests`);
    await queryRunner.query(`DROP TABLE sales_daily_customers`);
    await queryRunner.query(`DROP TABLE sales_daily_products`);
    await queryRunner.query(`DROP TABLE sales_events_applied`);
  }
}

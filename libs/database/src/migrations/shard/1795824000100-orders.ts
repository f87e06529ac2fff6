import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Everything a shard holds for the customers whose buckets it owns: their orders and lines,
 * their idempotency keys, the outbox of events to publish, and the shard's own record of which
 * buckets it owns (the fence every statement checks, see libs/database/src/sharding).
 * Every bucket-owned table carries `bucket`, so moving a bucket is `WHERE bucket = $1`.
 */
export class Orders1795824000100 implements MigrationInterface {
  name = 'Orders1795824000100';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE shard_buckets (
        bucket smallint PRIMARY KEY CHECK (bucket >= 0),
        state text NOT NULL CHECK (state IN ('owned', 'incoming', 'moved')),
        map_version integer NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE orders (
        id text PRIMARY KEY,
        bucket smallint NOT NULL,
        customer_id uuid NOT NULL,
        status text NOT NULL CHECK (status IN ('placed', 'cancelled')),
        currency char(3) NOT NULL,
        total_cents bigint NOT NULL CHECK (total_cents >= 0),
        payment_authorization_id text NOT NULL,
        reservation_id uuid NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // A customer's orders, newest first: GET /customers/:id/orders pages through this index.
    await queryRunner.query('CREATE INDEX orders_customer_recent_idx ON orders (customer_id, created_at DESC, id DESC)');
    // Scatter-gather for GET /orders?since=: every shard pages through this index.
    await queryRunner.query('CREATE INDEX orders_created_idx ON orders (created_at, id)');
    await queryRunner.query('CREATE INDEX orders_bucket_idx ON orders (bucket, id)');
    await queryRunner.query(`
      CREATE TABLE order_lines (
        order_id text NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
        line_no smallint NOT NULL CHECK (line_no >= 1),
        bucket smallint NOT NULL,
        product_id bigint NOT NULL,
        sku text NOT NULL,
        name text NOT NULL,
        quantity integer NOT NULL CHECK (quantity > 0),
        unit_price_cents integer NOT NULL CHECK (unit_price_cents >= 0),
        PRIMARY KEY (order_id, line_no)
      )`);
    await queryRunner.query('CREATE INDEX order_lines_bucket_idx ON order_lines (bucket)');
    await queryRunner.query(`
      CREATE TABLE idempotency_keys (
        customer_id uuid NOT NULL,
        key text NOT NULL,
        bucket smallint NOT NULL,
        request_hash text NOT NULL,
        order_id text NOT NULL,
        state text NOT NULL CHECK (state IN ('in_progress', 'completed')),
        attempt uuid,
        lease_until timestamptz NOT NULL,
        quote jsonb NOT NULL,
        response_status smallint,
        response_body jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (customer_id, key)
      )`);
    await queryRunner.query('CREATE INDEX idempotency_keys_bucket_idx ON idempotency_keys (bucket)');
    await queryRunner.query('CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at)');
    await queryRunner.query(`
      CREATE TABLE outbox (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        event_id uuid NOT NULL UNIQUE,
        topic text NOT NULL,
        message_key text NOT NULL,
        event_type text NOT NULL,
        payload jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz,
        attempts integer NOT NULL DEFAULT 0,
        last_error text
      )`);
    // The relay's queue: only unpublished rows are indexed, so it stays small however big the table.
    await queryRunner.query('CREATE INDEX outbox_unpublished_idx ON outbox (id) WHERE published_at IS NULL');
    await queryRunner.query('CREATE INDEX outbox_published_idx ON outbox (published_at) WHERE published_at IS NOT NULL');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['outbox', 'idempotency_keys', 'order_lines', 'orders', 'shard_buckets'])
      await queryRunner.query(`DROP TABLE ${table}`);
  }
}

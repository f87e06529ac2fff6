import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Stock held for orders being placed. Placing an order takes stock here (catalog database)
 * and writes the order on a shard (another database): a hold is the catalog's half, settled
 * by whether the order exists on its shard. `held` holds that outlive `expires_at` belong to
 * a request that died; the sweeper settles them (see apps/api/src/orders).
 */
export class StockReservations1795824000001 implements MigrationInterface {
  name = 'StockReservations1795824000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE stock_reservations (
        id uuid PRIMARY KEY,
        order_id text NOT NULL,
        customer_id uuid NOT NULL,
        idempotency_key text NOT NULL,
        state text NOT NULL CHECK (state IN ('held', 'committed', 'released')),
        payment_authorization_id text,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX stock_reservations_expiring_idx ON stock_reservations (expires_at) WHERE state = 'held'`);
    await queryRunner.query('CREATE INDEX stock_reservations_order_idx ON stock_reservations (order_id)');
    await queryRunner.query("CREATE INDEX stock_reservations_settled_idx ON stock_reservations (updated_at) WHERE state <> 'held'");
    await queryRunner.query(`
      CREATE TABLE stock_reservation_lines (
        reservation_id uuid NOT NULL REFERENCES stock_reservations (id) ON DELETE CASCADE,
        product_id bigint NOT NULL REFERENCES products (id),
        quantity integer NOT NULL CHECK (quantity > 0),
        PRIMARY KEY (reservation_id, product_id)
      )`);
    await queryRunner.query('CREATE INDEX stock_reservation_lines_product_idx ON stock_reservation_lines (product_id)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE stock_reservation_lines');
    await queryRunner.query('DROP TABLE stock_reservations');
  }
}

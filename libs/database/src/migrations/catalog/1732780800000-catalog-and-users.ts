import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CatalogAndUsers1732780800000 implements MigrationInterface {
  name = 'CatalogAndUsers1732780800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE products (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        sku text NOT NULL,
        name text NOT NULL,
        description text NOT NULL DEFAULT '',
        category text NOT NULL,
        price_cents integer NOT NULL CHECK (price_cents >= 0),
        currency char(3) NOT NULL DEFAULT 'EUR',
        stock integer NOT NULL CHECK (stock >= 0),
        image text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT products_sku_key UNIQUE (sku)
      )`);
    await queryRunner.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY,
        email text NOT NULL,
        name text NOT NULL,
        password_hash text NOT NULL,
        role text NOT NULL CHECK (role IN ('customer', 'admin')),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Emails are unique however they are capitalised.
    await queryRunner.query(`CREATE UNIQUE INDEX users_email_key ON users (lower(email))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE users`);
    await queryRunner.query(`DROP TABLE products`);
  }
}

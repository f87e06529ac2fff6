import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The indexes the catalog's queries need (apps/api/src/catalog): every list sorts by name,
 * price or newest with the id as tie-breaker, optionally within one category, and pages with
 * LIMIT; search is `name ILIKE '%words%'`, which only a trigram index can serve. Without them
 * each list sorts the whole table. CONCURRENTLY, so a big live table keeps taking writes while
 * the indexes build: that needs no transaction around the migration.
 */
export class ProductIndexes1795824000000 implements MigrationInterface {
  name = 'ProductIndexes1795824000000';
  transaction = false;

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE EXTENSION IF NOT EXISTS pg_trgm');
    for (const [name, definition] of INDEXES) {
      // A failed CONCURRENTLY build leaves an INVALID index behind: drop it and build again.
      await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS ${name}`);
      await queryRunner.query(`CREATE INDEX CONCURRENTLY ${name} ON products ${definition}`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const [name] of INDEXES) await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS ${name}`);
  }
}

const INDEXES: Array<[string, string]> = [
  ['products_name_idx', '(name, id)'],
  ['products_price_idx', '(price_cents, id)'],
  ['products_newest_idx', '(created_at DESC, id)'],
  ['products_category_name_idx', '(category, name, id)'],
  ['products_category_price_idx', '(category, price_cents, id)'],
  ['products_category_newest_idx', '(category, created_at DESC, id)'],
  ['products_name_trgm_idx', 'USING gin (name gin_trgm_ops)'],
];

import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { CacheService } from '@tenk/caching';
import { CatalogDatabase } from '@tenk/database';
import { productImage } from './product-image';

const BATCH = 500;

/**
 * Gives every product without a picture URL its content-hashed one (the seed inserts products
 * without). Runs in the background after boot; several instances may run it at once, which is
 * harmless: each row gets the same value, and only rows still without one are written.
 */
@Injectable()
export class ProductImagesBackfill implements OnApplicationBootstrap {
  constructor(
    private readonly db: CatalogDatabase,
    private readonly cache: CacheService,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext('product-images');
  }

  onApplicationBootstrap(): void {
    void this.run().catch((error: unknown) =>
      this.logger.warn({ err: error }, 'product picture backfill failed; it runs again at the next start'),
    );
  }

  /** Fills missing picture URLs; returns how many products it gave one. */
  async run(): Promise<number> {
    let filled = 0;
    let after = '0';
    for (;;) {
      const rows = (await this.db.primary.query(
        'SELECT id, sku, name, category FROM products WHERE image IS NULL AND id > $1 ORDER BY id LIMIT $2',
        [after, BATCH],
      )) as Array<{
        id: string;
        sku: string;
        name: string;
        category: string;
      }>;
      if (rows.length === 0) break;
      after = rows[rows.length - 1].id;
      const values = rows.map((_, i) => `($${i * 2 + 1}::bigint, $${i * 2 + 2}::text)`).join(', ');
      const params = rows.flatMap((row) => [row.id, productImage(row).url]);
      await this.db.write((manager) =>
        manager.query(
          `UPDATE products p SET image = v.image FROM (VALUES ${values}) AS v(id, image) WHERE p.id = v.id AND p.image IS NULL`,
          params,
        ),
      );
      await this.cache.invalidate(['catalog', ...rows.map((row) => `product:${row.id}`)]);
      filled += rows.length;
    }
    if (filled > 0) this.logger.info({ filled }, `gave ${filled} products their picture URL`);
    return filled;
  }
}

import { Injectable, NotFoundException } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { CacheService } from '@tenk/caching';
import { CatalogDatabase } from '@tenk/database';
import { Product } from '../catalog/product.entity';
import { productImage } from './product-image';

/** A rendered image is content-addressed: the entry for a URL can never be wrong, so it lives long and needs no invalidation. */
const IMAGE_TTL_MS = 24 * 3600_000;

@Injectable()
export class ProductImagesService {
  constructor(
    private readonly db: CatalogDatabase,
    private readonly cache: CacheService,
  ) {}

  /** The SVG at /images/products/<sku>.<hash>.svg; 404 when no product has that sku, or its picture is not that one (any more). */
  svg(sku: string, hash: string): Promise<string> {
    return this.cache.getOrLoad({
      name: 'ProductImages.svg',
      id: `${sku}.${hash}`,
      ttlMs: IMAGE_TTL_MS,
      load: () => this.#render(sku, hash),
    });
  }

  async #render(sku: string, hash: string): Promise<string> {
    const bySku = (source: DataSource) => source.getRepository(Product).findOneBy({ sku });
    let product = await this.db.read(bySku);
    // A URL fresh from a write may name a picture the replica has not seen yet: ask the primary before saying 404.
    if (product && productImage(product).hash !== hash) product = await bySku(this.db.primary);
    if (!product) throw new NotFoundException(`no product has sku ${sku}`);
    const image = productImage(product);
    if (image.hash !== hash) throw new NotFoundException(`product ${sku} has another picture now: ${image.url}`);
    return image.svg;
  }
}

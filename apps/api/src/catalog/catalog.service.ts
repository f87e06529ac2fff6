import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import type { DataSource, EntityManager, Repository } from 'typeorm';
import { Cacheable, CacheService } from '@tenk/caching';
import { CatalogDatabase } from '@tenk/database';
import { productImage } from '../assets/product-image';
import type { CreateProductBody, ListProductsQuery, ProductPage, ProductView, UpdateProductBody } from './catalog.dto';
import { Product } from './product.entity';

const UNIQUE_VIOLATION = '23505';

@Injectable()
export class CatalogService {
  constructor(
    private readonly db: CatalogDatabase,
    private readonly cache: CacheService,
  ) {}

  /**
   * Reads go through `db.read` (the replica when it has this client's last write, else the
   * primary), writes through `db.write` (the primary, remembering the write for the client).
   */
  #products(on: DataSource | EntityManager): Repository<Product> {
    return on.getRepository(Product);
  }

  async list(query: ListProductsQuery): Promise<ProductPage> {
    // Served by the indexes of migration ProductIndexes1795824000000 (sort key + id, per category).
    const [rows, total] = await this.db.read((source) => {
      const builder = this.#products(source).createQueryBuilder('p');
      if (query.search) builder.andWhere('p.name ILIKE :search', { search: `%${escapeLike(query.search)}%` });
      if (query.category) builder.andWhere('p.category = :category', { category: query.category });
      const order = { name: ['p.name', 'ASC'], price: ['p.priceCents', 'ASC'], newest: ['p.createdAt', 'DESC'] } as const;
      const [column, direction] = order[query.sort];
      builder.orderBy(column, direction).addOrderBy('p.id', 'ASC');
      builder.skip((query.page - 1) * query.limit).take(query.limit);
      // TypeORM's query cache (on Redis, tagged `catalog`): the count is shared by every page and sort of a listing.
      return builder.cache(true).getManyAndCount();
    });
    return { items: rows.map(toView), page: query.page, limit: query.limit, total };
  }

  /** Cached (tag `product:<id>`, "not found" briefly too); orders read prices on the primary, never through here. */
  @Cacheable({ key: (id: string) => id, tags: (id: string) => [`product:${id}`] })
  async get(id: string): Promise<ProductView> {
    const product = /^\d{1,18}$/.test(id) ? await this.db.read((source) => this.#products(source).findOneBy({ id })) : null;
    if (!product) throw new NotFoundException(`product ${id} does not exist`);
    return toView(product);
  }

  async create(body: CreateProductBody): Promise<ProductView> {
    try {
      const saved = await this.db.write((manager) => {
        const products = this.#products(manager);
        return products.save(
          products.create({ ...body, description: body.description ?? '', currency: 'EUR', image: productImage(body).url }),
        );
      });
      // `product:<id>` too: a "not found" for this id may be cached from before it existed.
      await this.cache.invalidate(['catalog', `product:${saved.id}`]);
      return toView(saved);
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION)
        throw new ConflictException(`a product with sku ${body.sku} already exists`);
      throw error;
    }
  }

  async update(id: string, body: UpdateProductBody): Promise<ProductView> {
    const current = await this.get(id);
    const image = body.name !== undefined || body.category !== undefined ? productImage({ ...current, ...body }).url : undefined;
    await this.db.write((manager) => this.#products(manager).update({ id }, image ? { ...body, image } : body));
    // Before the read below, which must not be answered from the cache.
    await this.cache.invalidate(['catalog', `product:${id}`]);
    // This client wrote: the read below goes to the primary until the replica has the change.
    return this.get(id);
  }
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}

export function toView(product: Product): ProductView {
  return {
    id: product.id,
    sku: product.sku,
    name: product.name,
    description: product.description,
    category: product.category,
    priceCents: product.priceCents,
    currency: product.currency,
    stock: product.stock,
    image: product.image,
    updatedAt: product.updatedAt.toISOString(),
  };
}

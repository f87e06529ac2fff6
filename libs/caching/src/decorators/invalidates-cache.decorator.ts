import { SetMetadata } from '@nestjs/common';

export const INVALIDATES_CACHE = 'tenk:caching:invalidates';

export type InvalidatedTags<A extends unknown[], R> = (result: R, ...args: A) => readonly string[];

/**
 * After the method succeeds, invalidates the tags it names (from its result and arguments) in
 * every process. A method that throws invalidates nothing: it wrote nothing.
 *
 *   @InvalidatesCache((product: ProductView) => ['catalog', `product:${product.id}`])
 *   async update(id: string, body: UpdateProductBody): Promise<ProductView> { ... }
 */
export const InvalidatesCache = <A extends unknown[], R>(tags: InvalidatedTags<A, R>): MethodDecorator =>
  SetMetadata(INVALIDATES_CACHE, tags);

import { SetMetadata } from '@nestjs/common';

export const INVALIDATES_CACHE = 'tenk:caching:invalidates';

export type InvalidatedTags<A extends unknown[], R> = (result: R, ...args: A) => readonly string[];

type AsyncMethod<A extends unknown[], R> = TypedPropertyDescriptor<(...args: A) => Promise<R>>;

/**
 * After the method succeeds, invalidates the tags it names (from its result and arguments) in
 * every process. A method that throws invalidates nothing: it wrote nothing.
 *
 *   @InvalidatesCache((product: ProductView) => ['catalog', `product:${product.id}`])
 *   async update(id: string, body: UpdateProductBody): Promise<ProductView> { ... }
 */
export const InvalidatesCache =
  <A extends unknown[], R>(tags: InvalidatedTags<A, R>) =>
  (target: object, method: string | symbol, descriptor: AsyncMethod<A, R>): void => {
    SetMetadata(INVALIDATES_CACHE, tags)(target, method, descriptor);
  };

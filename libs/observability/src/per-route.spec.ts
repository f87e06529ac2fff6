import type { ExecutionContext } from '@nestjs/common';
import { PerRoute } from './per-route';

const contextOf = (handler: object, controller: object) =>
  ({ getHandler: () => handler, getClass: () => controller }) as unknown as ExecutionContext;

describe('PerRoute', () => {
  it('reads a route once, and again for the same handler under another controller', () => {
    const reads: string[] = [];
    const perRoute = new PerRoute((handler, controller) => {
      const value = `${(controller as { name: string }).name}.${(handler as { name: string }).name}`;
      reads.push(value);
      return value;
    });
    function list(): string {
      return 'products';
    }
    class Products {}
    class AdminProducts extends Products {}
    expect(perRoute.of(contextOf(list, Products))).toBe('Products.list');
    expect(perRoute.of(contextOf(list, Products))).toBe('Products.list');
    expect(perRoute.of(contextOf(list, AdminProducts))).toBe('AdminProducts.list');
    expect(reads).toEqual(['Products.list', 'AdminProducts.list']);
  });
});

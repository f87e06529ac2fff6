import { checkBucketTables } from '@tenk/database';
import { ORDER_BUCKET_TABLES } from './bucket-tables';

describe('ORDER_BUCKET_TABLES', () => {
  it('is a valid bucket table list: plain identifiers, keys, one-column parent key for the lines', () => {
    expect(() => checkBucketTables(ORDER_BUCKET_TABLES)).not.toThrow();
    expect(ORDER_BUCKET_TABLES.map((spec) => spec.label)).toEqual(['orders', 'idempotencyKeys']);
  });

  it('keeps every order through a move, not the expiring idempotency keys', () => {
    expect(ORDER_BUCKET_TABLES.filter((spec) => spec.kept).map((spec) => spec.table)).toEqual(['orders']);
  });
});

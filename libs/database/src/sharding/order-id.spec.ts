import { bucketOfOrderId, isOrderId, newOrderId } from './order-id';

describe('order ids', () => {
  it('carry their bucket, so the shard is computed from the id alone', () => {
    for (const bucket of [0, 7, 255, 4095]) {
      const id = newOrderId(bucket);
      expect(isOrderId(id)).toBe(true);
      expect(bucketOfOrderId(id)).toBe(bucket);
    }
    expect(newOrderId(167)).toMatch(/^ord_0a7_[0-9A-HJKMNP-TV-Z]{26}$/);
  });

  it('sort by creation time and never repeat', () => {
    const earlier = newOrderId(1, Date.UTC(2026, 10, 28, 12, 0, 0));
    const later = newOrderId(1, Date.UTC(2026, 10, 28, 12, 0, 1));
    expect(earlier.slice(8, 18) < later.slice(8, 18)).toBe(true);
    const ids = new Set(Array.from({ length: 10_000 }, () => newOrderId(3)));
    expect(ids.size).toBe(10_000);
  });

  it('reject anything else', () => {
    for (const id of [
      '',
      'ord_0a7',
      'ord_0A7_01JDQ4Z5W8M2N6P3R7T9V0X1YB',
      'ord_0a7_01JDQ4Z5W8M2N6P3R7T9V0X1YI',
      '12',
      "ord_0a7_01JDQ4Z5W8M2N6P3R7T9V0X1YB'--",
    ]) {
      expect(isOrderId(id)).toBe(false);
      expect(bucketOfOrderId(id)).toBeUndefined();
    }
    expect(() => newOrderId(4096)).toThrow(RangeError);
    expect(() => newOrderId(-1)).toThrow(RangeError);
  });
});

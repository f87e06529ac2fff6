import { BadRequestException } from '@nestjs/common';
import { normalizeLines, requestFingerprint } from './order-quote';

describe('order lines', () => {
  it('are put in product order, so the same order written another way is the same request', () => {
    const a = normalizeLines([
      { productId: '12', quantity: 2 },
      { productId: '3', quantity: 1 },
    ]);
    const b = normalizeLines([
      { productId: '3', quantity: 1 },
      { productId: '12', quantity: 2 },
    ]);
    expect(a).toEqual([
      { productId: '3', quantity: 1 },
      { productId: '12', quantity: 2 },
    ]);
    expect(requestFingerprint(a)).toBe(requestFingerprint(b));
  });

  it('differ in fingerprint when any quantity or product differs', () => {
    const base = requestFingerprint([{ productId: '3', quantity: 1 }]);
    expect(requestFingerprint([{ productId: '3', quantity: 2 }])).not.toBe(base);
    expect(requestFingerprint([{ productId: '4', quantity: 1 }])).not.toBe(base);
  });

  it('refuse a product named on two lines', () => {
    expect(() =>
      normalizeLines([
        { productId: '3', quantity: 1 },
        { productId: '3', quantity: 4 },
      ]),
    ).toThrow(BadRequestException);
    expect(() =>
      normalizeLines([
        { productId: '3', quantity: 1 },
        { productId: '3', quantity: 4 },
      ]),
    ).toThrow(/product 3 appears in more than one line/);
  });
});

import { addToCart, cartCount, cartFingerprint, cartTotal, EMPTY_CART, MAX_QUANTITY, orderBody, parseCart, setQuantity } from './cart';

const mug = { id: '12', name: 'Mug', priceCents: 1250, currency: 'EUR' };
const tea = { id: '7', name: 'Tea', priceCents: 499, currency: 'EUR' };

describe('cart', () => {
  it('adds products, merging a product added twice into one line', () => {
    const cart = addToCart(addToCart(addToCart(EMPTY_CART, mug), tea, 2), mug, 3);
    expect(cart.lines).toEqual([
      { productId: '12', name: 'Mug', priceCents: 1250, currency: 'EUR', quantity: 4 },
      { productId: '7', name: 'Tea', priceCents: 499, currency: 'EUR', quantity: 2 },
    ]);
    expect(cartCount(cart)).toBe(6);
    expect(cartTotal(cart)).toEqual({ cents: 4 * 1250 + 2 * 499, currency: 'EUR' });
  });

  it('keeps quantities between 1 and the maximum, and removes a line set to 0', () => {
    let cart = addToCart(EMPTY_CART, mug, 500);
    expect(cart.lines[0]?.quantity).toBe(MAX_QUANTITY);
    cart = setQuantity(cart, '12', 2.7);
    expect(cart.lines[0]?.quantity).toBe(2);
    expect(setQuantity(cart, '12', 0).lines).toEqual([]);
    expect(setQuantity(cart, '12', Number.NaN).lines).toEqual([]);
  });

  it('gives the POST /orders body and a fingerprint that ignores line order', () => {
    const a = addToCart(addToCart(EMPTY_CART, mug, 2), tea);
    const b = addToCart(addToCart(EMPTY_CART, tea), mug, 2);
    expect(orderBody(a)).toEqual({
      lines: [
        { productId: '12', quantity: 2 },
        { productId: '7', quantity: 1 },
      ],
    });
    expect(cartFingerprint(a)).toBe(cartFingerprint(b));
    expect(cartFingerprint(setQuantity(a, '7', 2))).not.toBe(cartFingerprint(a));
  });

  it('reads a stored cart, dropping malformed lines and anything that is not JSON', () => {
    const stored = JSON.stringify({
      lines: [
        { productId: '12', name: 'Mug', priceCents: 1250, currency: 'EUR', quantity: 2 },
        { productId: '../x', name: 'bad', priceCents: 1, currency: 'EUR', quantity: 1 },
        { productId: '3' },
      ],
    });
    expect(parseCart(stored).lines.map((line) => line.productId)).toEqual(['12']);
    expect(parseCart('{not json')).toEqual(EMPTY_CART);
    expect(parseCart(null)).toEqual(EMPTY_CART);
    expect(parseCart('{"lines": "no"}')).toEqual(EMPTY_CART);
  });
});

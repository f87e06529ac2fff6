import { checkoutKey, forgetCheckoutKey, randomKey } from './idempotency';

class MemoryStorage {
  readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
}

describe('checkout idempotency keys', () => {
  it('reuses the key for the same cart (double click, retry, reload)', () => {
    const storage = new MemoryStorage();
    const first = checkoutKey(storage, '12x2,7x1');
    expect(checkoutKey(storage, '12x2,7x1')).toBe(first);
  });

  it('makes a new key when the cart changed, and after the key is forgotten', () => {
    const storage = new MemoryStorage();
    const first = checkoutKey(storage, '12x2');
    const second = checkoutKey(storage, '12x3');
    expect(second).not.toBe(first);
    forgetCheckoutKey(storage);
    expect(checkoutKey(storage, '12x3')).not.toBe(second);
  });

  it('survives garbage in storage', () => {
    const storage = new MemoryStorage();
    storage.setItem('tenk.checkout', '{broken');
    expect(checkoutKey(storage, 'x', () => 'fresh')).toBe('fresh');
  });

  it('makes random UUID v4 keys', () => {
    const keys = new Set(Array.from({ length: 1_000 }, randomKey));
    expect(keys.size).toBe(1_000);
    for (const key of [...keys].slice(0, 20)) expect(key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

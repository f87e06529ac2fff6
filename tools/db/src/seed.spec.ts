import { seedProductCount } from './seed';

describe('seedProductCount (TENK_SEED_PRODUCTS)', () => {
  it('is 5,000 unless set, and the number given when set', () => {
    expect(seedProductCount({})).toBe(5_000);
    expect(seedProductCount({ TENK_SEED_PRODUCTS: '' })).toBe(5_000);
    expect(seedProductCount({ TENK_SEED_PRODUCTS: '120' })).toBe(120);
    expect(seedProductCount({ TENK_SEED_PRODUCTS: '0' })).toBe(0);
  });

  it.each(['lots', '-3', '2.5'])('refuses %j, naming the variable', (value) => {
    expect(() => seedProductCount({ TENK_SEED_PRODUCTS: value })).toThrow(
      `TENK_SEED_PRODUCTS: expected a whole number >= 0, got "${value}"`,
    );
  });
});

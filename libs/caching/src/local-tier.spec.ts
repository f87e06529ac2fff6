import { LocalTier } from './local-tier';

describe('LocalTier', () => {
  it('returns what it holds until its TTL, capped by the tier TTL', () => {
    const tier = new LocalTier(10, 1_000);
    tier.set('a', '"A"', 5_000, 0);
    expect(tier.get('a', 999)).toBe('"A"');
    expect(tier.get('a', 1_000)).toBeUndefined();
    tier.set('b', '"B"', 100, 0);
    expect(tier.get('b', 150)).toBeUndefined();
  });

  it('evicts the least recently used entry beyond its size', () => {
    const tier = new LocalTier(2, 60_000);
    tier.set('a', '1', 1_000, 0);
    tier.set('b', '2', 1_000, 0);
    tier.get('a', 1);
    tier.set('c', '3', 1_000, 2);
    expect(tier.get('b', 3)).toBeUndefined();
    expect(tier.get('a', 3)).toBe('1');
    expect(tier.get('c', 3)).toBe('3');
    expect(tier.size).toBe(2);
  });

  it("hands out a kept entry object itself (a read-only lookup's), not a copy", () => {
    const tier = new LocalTier(10, 1_000);
    const entry = Object.freeze({ kind: 'value' as const, value: 'A', storedAt: 0, freshUntil: 500 });
    tier.set('a', entry, 500, 0);
    expect(tier.get('a', 1)).toBe(entry);
    expect(tier.get('a', 2)).toBe(entry);
  });

  it('holds nothing when turned off (0 entries)', () => {
    const tier = new LocalTier(0, 5_000);
    tier.set('a', '1', 1_000);
    expect(tier.enabled).toBe(false);
    expect(tier.get('a')).toBeUndefined();
  });
});

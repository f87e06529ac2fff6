import { assertValidTag, CacheKeys, cacheId, stableStringify } from './cache-keys';

describe('CacheKeys', () => {
  const keys = new CacheKeys('tenk', 3);

  it('namespaces and versions every key and carries the generations of the tags', () => {
    expect(keys.entry('CatalogService.get', '42', [])).toBe('tenk:v3:e:CatalogService.get:42');
    expect(keys.entry('CatalogService.get', '42', [35, 36])).toBe('tenk:v3:e:CatalogService.get:42@z.10');
    expect(keys.generation('product:42')).toBe('tenk:v3:g:product:42');
    expect(keys.channel).toBe('tenk:v3:invalidations');
  });

  it('names the lease after the entry it guards', () => {
    expect(keys.lease(keys.entry('GET /products/:id', 'id=42', [7]))).toBe('tenk:v3:l:GET /products/:id:id=42@7');
  });
});

describe('cacheId', () => {
  it('keeps short plain ids readable', () => {
    expect(cacheId('42')).toBe('42');
    expect(cacheId('?limit=20&page=2&sort=name')).toBe('?limit=20&page=2&sort=name');
  });

  it('hashes long or unusual ids, so keys stay short and cannot be forged from input', () => {
    const hashed = cacheId('search=a very long phrase with spaces and "quotes"');
    expect(hashed).toMatch(/^#[A-Za-z0-9_-]{27}$/);
    expect(cacheId('x'.repeat(500))).toMatch(/^#/);
    expect(cacheId({ b: 1, a: [1, 2] })).toBe(cacheId({ a: [1, 2], b: 1 }));
  });
});

describe('stableStringify', () => {
  it('sorts object keys at every level and drops undefined fields', () => {
    expect(stableStringify({ b: { d: 1, c: 2 }, a: undefined, e: [3, { g: 1, f: 2 }] })).toBe('{"b":{"c":2,"d":1},"e":[3,{"f":2,"g":1}]}');
  });
});

describe('assertValidTag', () => {
  it('accepts the tags code writes and names a bad one', () => {
    expect(() => assertValidTag('product:42')).not.toThrow();
    expect(() => assertValidTag('catalog')).not.toThrow();
    expect(() => assertValidTag('product:4 2')).toThrow('cache tag "product:4 2" is not valid');
    expect(() => assertValidTag('a,b')).toThrow(/not valid/);
  });
});

import { href, parseHash, safeNext } from './router';

describe('hash routing', () => {
  it('reads the catalog with its search and page from the hash', () => {
    const route = parseHash('#/?q=mug&page=3');
    expect(route.name).toBe('catalog');
    expect(route.query.get('q')).toBe('mug');
    expect(route.query.get('page')).toBe('3');
  });

  it('treats an empty hash as the catalog', () => {
    expect(parseHash('').name).toBe('catalog');
    expect(parseHash('#').name).toBe('catalog');
  });

  it('matches routes with parameters, decoded, with or without a trailing slash', () => {
    expect(parseHash('#/products/42')).toMatchObject({ name: 'product', params: { id: '42' } });
    expect(parseHash('#/orders/ord%2F1/')).toMatchObject({ name: 'order', params: { id: 'ord/1' } });
    expect(parseHash('#/videos/abc')).toMatchObject({ name: 'video', params: { id: 'abc' } });
    expect(parseHash('#/orders').name).toBe('orders');
  });

  it('names unknown paths notFound rather than guessing', () => {
    expect(parseHash('#/products').name).toBe('notFound');
    expect(parseHash('#/products/1/extra').name).toBe('notFound');
    expect(parseHash('#/admin').name).toBe('notFound');
  });

  it('builds links, leaving out empty query values', () => {
    expect(href('/')).toBe('#/');
    expect(href('/', { q: 'red mug', page: 2 })).toBe('#/?q=red+mug&page=2');
    expect(href('/', { q: '', page: undefined })).toBe('#/');
  });

  it('follows only paths inside the app after sign-in', () => {
    expect(safeNext('/checkout')).toBe('/checkout');
    expect(safeNext('/orders/12?placed=1')).toBe('/orders/12?placed=1');
    expect(safeNext('//evil.example')).toBe('/');
    expect(safeNext('https://evil.example')).toBe('/');
    expect(safeNext('javascript:alert(1)')).toBe('/');
    expect(safeNext(null)).toBe('/');
  });
});

import { normalizePath, originForm, resolveSegments } from './uri';

describe('normalizePath ($uri)', () => {
  it.each([
    ['/', '/'],
    ['/products/42', '/products/42'],
    ['/a//b///c', '/a/b/c'],
    ['/a/./b/', '/a/b/'],
    ['/a/b/../c', '/a/c'],
    ['/a/b/..', '/a/'],
    ['/caf%C3%A9', '/café'],
    ['/%61dmin', '/admin'],
    ['/a/%2e%2e/b', '/b'],
    // Decoded once: %25 is a literal "%", never the start of another escape.
    ['/assets/%252e%252e/index.html', '/assets/%2e%2e/index.html'],
  ])('%s -> %s', (raw, expected) => {
    expect(normalizePath(raw)).toBe(expected);
  });

  it.each(['/..', '/../etc/passwd', '/a/../../b', '/%2e%2e/x', '/bad%zz', '/nul%00', 'relative'])('refuses %s', (raw) => {
    expect(normalizePath(raw)).toBeNull();
  });
});

describe('resolveSegments (an already decoded path)', () => {
  it('merges slashes and resolves dots without decoding', () => {
    expect(resolveSegments('/assets/%2e%2e/index.html')).toBe('/assets/%2e%2e/index.html');
    expect(resolveSegments('/a//b/./c/../d')).toBe('/a/b/d');
    expect(resolveSegments('/a/../../b')).toBeNull();
    expect(resolveSegments('x')).toBeNull();
  });
});

describe('originForm', () => {
  it('keeps origin-form targets and reduces absolute-form ones', () => {
    expect(originForm('/x?y=1')).toBe('/x?y=1');
    expect(originForm('http://shop.example/x?y=1')).toBe('/x?y=1');
    expect(originForm('http://shop.example')).toBe('/');
    expect(originForm('http://shop.example?q')).toBe('/?q');
    expect(originForm('*')).toBeNull();
    expect(originForm('shop.example:443')).toBeNull();
  });
});

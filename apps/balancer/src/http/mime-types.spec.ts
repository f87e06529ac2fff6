import { mediaType } from './mime-types';

describe('mediaType', () => {
  it.each([
    ['dist/apps/storefront/index.html', 'text/html; charset=utf-8'],
    ['assets/index-3f2a.js', 'text/javascript; charset=utf-8'],
    ['assets/index-3f2a.css', 'text/css; charset=utf-8'],
    ['videos/1/master.m3u8', 'application/vnd.apple.mpegurl'],
    ['videos/1/segment-001.ts', 'video/mp2t'],
    ['videos/1/init.m4s', 'video/iso.segment'],
    ['img/logo.SVG', 'image/svg+xml'],
    ['fonts/a.woff2', 'font/woff2'],
  ])('%s is %s', (file, type) => {
    expect(mediaType(file, {}, 'application/octet-stream')).toBe(type);
  });

  it('takes a types { } entry over the table', () => {
    expect(mediaType('a/b.js', { js: 'application/x-custom' }, 'application/octet-stream')).toBe('application/x-custom');
  });

  it('gives the fallback to no extension, a dot file and an unknown extension', () => {
    for (const file of ['a/README', 'a/.env', 'a/b.tenkunknown', 'a.b/c'])
      expect(mediaType(file, {}, 'application/octet-stream')).toBe('application/octet-stream');
  });
});

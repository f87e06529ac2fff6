import { DEFAULT_SETTINGS } from '../config/defaults';
import { filePath, notModified, parseRange } from './static-files';

describe('static file helpers', () => {
  const root = { ...DEFAULT_SETTINGS, root: '/srv/site' };
  const alias = { ...DEFAULT_SETTINGS, root: null, alias: '/srv/media' };

  it('maps $uri under root, or under alias with the location prefix replaced', () => {
    expect(filePath('/srv/site', '/assets/app.js', root, '/')).toBe('/srv/site/assets/app.js');
    expect(filePath('/srv/site', '/docs/', root, '/')).toBe('/srv/site/docs/');
    expect(filePath('/srv/media', '/media/v/1.mp4', alias, '/media/')).toBe('/srv/media/v/1.mp4');
  });

  it('never leaves the root, even if handed a path that climbs', () => {
    expect(filePath('/srv/site', '/../etc/passwd', root, '/')).toBeNull();
    expect(filePath('/srv/media', '/media/../../etc/passwd', alias, '/media/')).toBeNull();
    expect(filePath('/srv/site', '/../site-private/x', root, '/')).toBeNull();
  });

  it('answers conditional requests (If-None-Match wins over If-Modified-Since)', () => {
    const etag = '"65f0a1b2-2a"';
    const mtime = 1_700_000_000;
    expect(notModified(etag, undefined, etag, mtime)).toBe(true);
    expect(notModified(`"x", W/${etag}`, undefined, etag, mtime)).toBe(true);
    expect(notModified('"other"', new Date(mtime * 1000).toUTCString(), etag, mtime)).toBe(false);
    expect(notModified(undefined, new Date(mtime * 1000).toUTCString(), etag, mtime)).toBe(true);
    expect(notModified(undefined, new Date((mtime - 1) * 1000).toUTCString(), etag, mtime)).toBe(false);
    expect(notModified(undefined, undefined, etag, mtime)).toBe(false);
  });

  it('reads single byte ranges', () => {
    expect(parseRange('bytes=0-9', undefined, 'e', 'd', 100)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=90-', undefined, 'e', 'd', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-10', undefined, 'e', 'd', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=50-500', undefined, 'e', 'd', 100)).toEqual({ start: 50, end: 99 });
    expect(parseRange('bytes=100-', undefined, 'e', 'd', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=0-1,5-6', undefined, 'e', 'd', 100)).toBeNull();
    expect(parseRange('bytes=0-9', '"old"', '"new"', 'd', 100)).toBeNull();
    expect(parseRange(undefined, undefined, 'e', 'd', 100)).toBeNull();
  });
});

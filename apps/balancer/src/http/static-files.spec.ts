import type { IncomingMessage } from 'node:http';
import { DEFAULT_SETTINGS } from '../config/defaults';
import { expandCandidate, filePath, notModified, parseRange } from './static-files';
import { normalizePath } from './uri';
import { Template, type VariableContext } from './variables';

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

  it('expands a try_files candidate from $uri without decoding it again (nginx decodes once)', () => {
    // GET /assets/%252e%252e/index.html: $uri is /assets/%2e%2e/index.html, a file named "%2e%2e/index.html"
    // under /assets; decoding it a second time made it /assets/../index.html, served as /index.html.
    const uri = normalizePath('/assets/%252e%252e/index.html') as string;
    expect(uri).toBe('/assets/%2e%2e/index.html');
    const context = { uri, req: { url: '/assets/%252e%252e/index.html', rawHeaders: [] } as unknown as IncomingMessage } as VariableContext;
    expect(expandCandidate(new Template('$uri'), context)).toBe('/assets/%2e%2e/index.html');
    expect(expandCandidate(new Template('$uri/'), context)).toBe('/assets/%2e%2e/index.html/');
    // Dots written in the candidate itself are still resolved, and may not climb above /.
    expect(expandCandidate(new Template('/a/./b/../c'), context)).toBe('/a/c');
    expect(expandCandidate(new Template('/../x'), context)).toBeNull();
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

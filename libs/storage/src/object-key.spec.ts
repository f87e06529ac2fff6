import { isStorageError } from './errors';
import { assertObjectKey, contentTypeOf, objectKey } from './object-key';

describe('object keys', () => {
  it('accepts the keys tenk builds', () => {
    expect(objectKey('videos', '7f0c4c3e-9b1d-4c1a-9a57-0c1b5f9f2d10', '720p.mp4')).toBe(
      'videos/7f0c4c3e-9b1d-4c1a-9a57-0c1b5f9f2d10/720p.mp4',
    );
    expect(assertObjectKey('reports/abc.csv')).toBe('reports/abc.csv');
  });

  it.each([
    '',
    '../etc/passwd',
    'videos/../../etc',
    'videos/./x',
    '/abs',
    'trailing/',
    'a//b',
    '.hidden',
    'sp ace',
    'back\\slash',
    'x'.repeat(513),
  ])('refuses %j', (key) => {
    let caught: unknown;
    try {
      assertObjectKey(key);
    } catch (error) {
      caught = error;
    }
    expect(isStorageError(caught, 'invalid-key')).toBe(true);
  });

  it('knows the content types it serves', () => {
    expect(contentTypeOf('videos/x/720p.mp4')).toBe('video/mp4');
    expect(contentTypeOf('videos/x/hls/master.m3u8')).toBe('application/vnd.apple.mpegurl');
    expect(contentTypeOf('videos/x/hls/360p_00001.ts')).toBe('video/mp2t');
    expect(contentTypeOf('videos/x/thumbnail.jpg')).toBe('image/jpeg');
    expect(contentTypeOf('reports/x.csv')).toBe('text/csv; charset=utf-8');
    expect(contentTypeOf('videos/x.y/source')).toBe('application/octet-stream');
  });
});

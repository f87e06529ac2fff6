import { readyBody } from './ready-body';
import type { CachedResponse } from './http-cache.options';

function response(body: string): CachedResponse {
  return { status: 200, type: 'json', body, headers: {}, etag: 'W/"x"' };
}

describe('readyBody', () => {
  it('is the body as UTF-8 bytes', () => {
    expect(readyBody(response('{"name":"café"}')).toString('utf8')).toBe('{"name":"café"}');
    expect(readyBody(response('{"name":"café"}')).length).toBe(16);
  });

  it('encodes a stored response once: the same response gets the same bytes', () => {
    const stored = response('[1,2,3]');
    expect(readyBody(stored)).toBe(readyBody(stored));
    expect(readyBody(response('[1,2,3]'))).not.toBe(readyBody(stored));
  });
});

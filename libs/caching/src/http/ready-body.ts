import type { CachedResponse } from './http-cache.options';

const bodies = new WeakMap<CachedResponse, Buffer>();

/**
 * A cached response's body as the bytes to write (its ETag is `response.etag`), encoded once per
 * stored response: a hit from the in-process tier hands out the same frozen CachedResponse every
 * time (the HTTP cache's lookups are read-only), so a busy entry is encoded once, not once per
 * request. For an HTTP layer that writes bytes itself (Fastify's `reply.send(buffer)`); an
 * entry read from Redis is a new object, encoded on its own hit.
 */
export function readyBody(response: CachedResponse): Buffer {
  let bytes = bodies.get(response);
  if (bytes === undefined) {
    bytes = Buffer.from(response.body, 'utf8');
    bodies.set(response, bytes);
  }
  return bytes;
}

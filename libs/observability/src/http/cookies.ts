import { serialize, type SerializeOptions } from 'cookie';
import type { ServerResponse } from 'node:http';

/** A response as a route, a guard or a middleware holds it: fastify's reply, or node's own. */
export type AnyResponse = ServerResponse | { raw: ServerResponse };

export interface CookieOptions {
  httpOnly?: boolean;
  secure?: boolean;
  sameSite?: 'lax' | 'strict' | 'none';
  /** `/` unless said. */
  path?: string;
  /** Milliseconds: written as Max-Age (seconds, rounded down) and Expires, as Express wrote it. */
  maxAgeMs?: number;
}

/** node's response under `res`: the reply's raw one, or `res` itself. */
export function rawResponse(res: AnyResponse): ServerResponse {
  return 'raw' in res ? res.raw : res;
}

/**
 * Adds a Set-Cookie line, keeping the ones already set. Written on node's response, never on the
 * reply's header list: fastify sends a reply's headers with writeHead, which would replace the
 * Set-Cookie lines a middleware wrote there (read-your-writes' token beside a session cookie).
 */
export function setCookie(res: AnyResponse, name: string, value: string, options: CookieOptions = {}): void {
  const { maxAgeMs, ...rest } = options;
  const attributes: SerializeOptions = { path: '/', ...rest };
  if (maxAgeMs !== undefined) {
    attributes.expires = new Date(Date.now() + maxAgeMs);
    attributes.maxAge = Math.floor(maxAgeMs / 1000);
  }
  appendSetCookie(rawResponse(res), serialize(name, value, attributes));
}

/** Tells the browser to drop the cookie: empty, expired in 1970 (as Express's clearCookie). */
export function clearCookie(res: AnyResponse, name: string, options: Omit<CookieOptions, 'maxAgeMs'> = {}): void {
  appendSetCookie(rawResponse(res), serialize(name, '', { path: '/', ...options, expires: new Date(1) }));
}

function appendSetCookie(res: ServerResponse, line: string): void {
  const previous = res.getHeader('set-cookie');
  if (previous === undefined) res.setHeader('Set-Cookie', line);
  else res.setHeader('Set-Cookie', [...(Array.isArray(previous) ? previous : [String(previous)]), line]);
}

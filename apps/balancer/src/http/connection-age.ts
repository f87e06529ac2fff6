import type { Socket } from 'node:net';

const FIRST_REQUEST_AT = Symbol('tenk.firstRequestAt');

/**
 * keepalive_time (ngx_http_core_module): a client connection that has served requests for
 * longer than `maxMs` is closed after the current one. nginx counts from the accept; tenk from
 * the connection's first request (within client_header_timeout of the accept), stored on the
 * socket the first time it is asked.
 */
export function connectionOlderThan(socket: Socket, maxMs: number, now: number): boolean {
  const holder = socket as Socket & { [FIRST_REQUEST_AT]?: number };
  const first = holder[FIRST_REQUEST_AT];
  if (first === undefined) {
    holder[FIRST_REQUEST_AT] = now;
    return false;
  }
  return now - first >= maxMs;
}

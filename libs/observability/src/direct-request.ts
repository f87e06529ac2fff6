import type { IncomingHttpHeaders } from 'node:http';

/** What these checks read of a request: node's IncomingMessage and fastify's request both have it. */
export interface RequestLike {
  headers: IncomingHttpHeaders;
  socket: { remoteAddress?: string };
}

/**
 * Headers a proxy adds when it forwards a request (the balancer, nginx, an ingress controller
 * all write X-Forwarded-For). A request that carries one came through the public door.
 */
const FORWARDING_HEADERS = ['x-forwarded-for', 'forwarded', 'x-real-ip'] as const;

/** The request came through a proxy: the public door, never an operator on the instance's port. */
export function isForwarded(req: Pick<RequestLike, 'headers'>): boolean {
  return FORWARDING_HEADERS.some((name) => req.headers[name] !== undefined);
}

/**
 * Someone on this machine called this instance's own port: the peer is loopback and no proxy
 * forwarded it. The balancer runs on loopback too, but it always adds X-Forwarded-For.
 */
export function isDirectFromLoopback(req: RequestLike): boolean {
  return isLoopbackAddress(req.socket.remoteAddress) && !isForwarded(req);
}

export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  return address === '::1' || /^(::ffff:)?127\.\d+\.\d+\.\d+$/i.test(address);
}

/** Nest's own words for a route that does not exist, so a refusal gives nothing away. */
export function notFoundMessage(req: { method?: string; url?: string; originalUrl?: string }): string {
  return `Cannot ${req.method ?? 'GET'} ${req.originalUrl ?? req.url ?? '/'}`;
}

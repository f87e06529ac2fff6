import type { FastifyRequest } from 'fastify';

/**
 * The client's address as fastify sees it (`request.ip`): the peer, or what the trusted proxies
 * (TENK_TRUSTED_PROXIES, createHttpAdapter's trustProxy) wrote into X-Forwarded-For. Per-client limits key on it.
 */
export function clientAddress(req: FastifyRequest): string {
  return normalizeAddress(req.ip ?? req.socket.remoteAddress ?? 'unknown');
}

/** `::ffff:203.0.113.7` and `203.0.113.7` are the same client. */
export function normalizeAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return (mapped ? mapped[1] : address).toLowerCase();
}

import type { Request } from 'express';

/**
 * The client's address as Express sees it: the peer, or what the trusted proxies
 * (TENK_TRUSTED_PROXIES) wrote into X-Forwarded-For. Per-client limits key on it.
 */
export function clientAddress(req: Request): string {
  return normalizeAddress(req.ip ?? req.socket.remoteAddress ?? 'unknown');
}

/** `::ffff:203.0.113.7` and `203.0.113.7` are the same client. */
export function normalizeAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return (mapped ? mapped[1] : address).toLowerCase();
}

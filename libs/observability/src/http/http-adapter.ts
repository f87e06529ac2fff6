import { FastifyAdapter } from '@nestjs/platform-fastify';

export interface HttpAdapterSettings {
  /**
   * Whose X-Forwarded-For is believed for the client's address (`request.ip`): proxy-addr's
   * names (`loopback`, `uniquelocal`), addresses and CIDR ranges, as TENK_TRUSTED_PROXIES gives
   * them. None by default: the peer's own address.
   */
  trustedProxies?: string[];
  /** The largest request body a parser reads, in bytes (100 KiB unless said). Uploads stream past it. */
  bodyLimit?: number;
}

/** 100 KiB: a JSON body of this shop is a few hundred bytes; an order with many lines a few KiB. */
export const DEFAULT_BODY_LIMIT = 100 * 1024;

/**
 * The HTTP adapter of every tenk Nest app (startService) and of the specs that build one:
 * Nest's official Fastify adapter, chosen for what a request costs (docs/tutorial chapter 6,
 * "what a request costs"). Fastify's own logger is off (ObservabilityModule writes the access
 * lines); a `__proto__` or `constructor.prototype` key in a JSON body is an error, not a key
 * (for apps on Nest's JSON parser; the api has its own, parseJsonWithNamedErrors).
 */
export function createHttpAdapter(settings: HttpAdapterSettings = {}): FastifyAdapter {
  const proxies = settings.trustedProxies ?? [];
  return new FastifyAdapter({
    logger: false,
    trustProxy: proxies.length > 0 ? proxies : false,
    bodyLimit: settings.bodyLimit ?? DEFAULT_BODY_LIMIT,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // Routes match as they did on Express: /Products/12 and /products/12/ are /products/:id
    // (parameters keep their case), so links and clients that worked keep working.
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true },
  });
}

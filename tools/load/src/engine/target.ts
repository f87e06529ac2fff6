import { isIP } from 'node:net';
import { Pool, type Dispatcher } from 'undici';

export interface TargetOptions {
  /** The shop's front door, e.g. http://127.0.0.1:28080. */
  url: string;
  /** Spread users over this many loopback source addresses (1: the system's choice). */
  clientIps: number;
  /** Keep-alive connections per source address. */
  connectionsPerIp: number;
  /** Per request: time allowed for the response headers, and between body chunks. */
  timeoutMs: number;
}

/**
 * The connections to the shop: one undici Pool per client address, each with a fixed number
 * of keep-alive connections and no pipelining. User `n` always goes out from address
 * `n mod clientIps`.
 *
 * Why several addresses: the balancer rate-limits per client address (limit_req keyed on
 * $binary_remote_addr), as production does. Ten thousand users come from thousands of
 * addresses; sent from one, they would be one very busy client and mostly be turned away.
 * On Linux every 127.x.y.z is this machine, so users can be spread over 127.20.0.1,
 * 127.20.0.2, ... with no setup, and the rate limiter sees what it would see in production.
 */
export class Target {
  readonly url: URL;
  readonly clientIps: number;
  readonly connectionsPerIp: number;
  readonly #pools: Pool[];

  constructor(options: TargetOptions) {
    this.url = new URL(options.url);
    if (this.url.protocol !== 'http:') throw new Error(`--url must be an http:// URL (the balancer's front door), got ${options.url}`);
    const spread = options.clientIps > 1 && isLoopback(this.url.hostname);
    this.clientIps = spread ? options.clientIps : 1;
    this.connectionsPerIp = options.connectionsPerIp;
    this.#pools = Array.from(
      { length: this.clientIps },
      (_, index) =>
        new Pool(this.url.origin, {
          connections: options.connectionsPerIp,
          pipelining: 1,
          localAddress: spread ? clientAddress(index) : undefined,
          headersTimeout: options.timeoutMs,
          bodyTimeout: options.timeoutMs,
          connectTimeout: Math.min(options.timeoutMs, 10_000),
          keepAliveTimeout: 30_000,
          keepAliveMaxTimeout: 60_000,
        }),
    );
  }

  /** Requested more than one address for a host that is not this machine: spreading was off. */
  static spreadsFor(url: string): boolean {
    return isLoopback(new URL(url).hostname);
  }

  get connections(): number {
    return this.clientIps * this.connectionsPerIp;
  }

  dispatcherFor(userId: number): Dispatcher {
    return this.#pools[userId % this.#pools.length];
  }

  /** A full URL path on the target, for setup requests outside the run. */
  path(path: string): string {
    return `${this.url.pathname.replace(/\/$/, '')}${path}`;
  }

  async close(): Promise<void> {
    await Promise.all(this.#pools.map((pool) => pool.destroy()));
  }
}

/** Client address number `index`: 127.20.0.1, 127.20.0.2, ... (never .0 or .255). */
export function clientAddress(index: number): string {
  const low = (index % 250) + 1;
  const middle = Math.floor(index / 250) % 250;
  const high = 20 + Math.floor(index / 62_500);
  if (high > 254) throw new Error(`client address ${index} is beyond 127.254.x.x; use fewer --client-ips`);
  return `127.${high}.${middle}.${low}`;
}

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || (isIP(host) === 4 && host.startsWith('127.'));
}

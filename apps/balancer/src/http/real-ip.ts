import { BlockList, isIP } from 'node:net';
import type { RealIpConfig } from '../config/schema';
import { rawHeader } from './variables';

/** What realip changes: the request's client address ($remote_addr, ip_hash, limit_req keys). */
export interface RealIpTarget {
  readonly req: { readonly socket: { readonly remoteAddress?: string }; readonly rawHeaders: string[] };
  clientAddress: string;
}

/**
 * ngx_http_realip_module: when the connection comes from a trusted address (set_real_ip_from),
 * the client's address is taken from real_ip_header. X-Forwarded-For: its last address, or with
 * real_ip_recursive on the last one that is not itself trusted (walking from the right). Any
 * other header holds one address. A value that is not an address leaves the peer's. Compiled
 * once per location; a location without set_real_ip_from has none (no cost per request).
 */
export class RealIp {
  readonly #trusted = new BlockList();
  /** Lower-case header name. */
  readonly #header: string;
  readonly #recursive: boolean;

  constructor(config: RealIpConfig) {
    for (const source of config.from) {
      const [address, bits] = source.split('/');
      const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      if (bits === undefined) this.#trusted.addAddress(address, family);
      else this.#trusted.addSubnet(address, Number(bits), family);
    }
    this.#header = config.header.toLowerCase();
    this.#recursive = config.recursive;
  }

  apply(target: RealIpTarget): void {
    const peer = target.req.socket.remoteAddress ?? '';
    if (!this.#isTrusted(peer)) return;
    const value = rawHeader(target.req.rawHeaders, this.#header);
    if (value === '') return;
    const address = this.#header === 'x-forwarded-for' ? this.#fromForwardedFor(value) : value.trim();
    if (address !== '' && isIP(address) !== 0) target.clientAddress = address;
  }

  #fromForwardedFor(value: string): string {
    const hops = value.split(',');
    if (!this.#recursive) return hops[hops.length - 1].trim();
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i].trim();
      if (i === 0 || !this.#isTrusted(hop)) return hop;
    }
    return '';
  }

  #isTrusted(address: string): boolean {
    const plain = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
    const family = isIP(plain);
    if (family === 0) return false;
    return this.#trusted.check(plain, family === 6 ? 'ipv6' : 'ipv4');
  }
}

import { randomBytes } from 'node:crypto';

/**
 * A client address of its own (from 2001:db8::/32, the range kept for documentation), for a
 * test or lab shopper to send as X-Forwarded-For: the api trusts loopback proxies, so it keys
 * its per-client limits (sign-ups: 10 an hour per address) on this address and not on
 * 127.0.0.1, which every test, lab run and load run on the machine would otherwise share.
 */
export function newClientAddress(): string {
  const part = () => randomBytes(2).toString('hex');
  return `2001:db8:${part()}:${part()}::${part()}`;
}

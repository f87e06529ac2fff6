/**
 * Where a server of the stack runs: this machine's loopback (`npm run infra`), or a host of
 * tools/hosts (a Linux network namespace with its own address on a private bridge). The same
 * start, check and stop code serves both: only the address, the namespace and who may connect
 * differ.
 */
export interface Spot {
  /** The address the server listens on (besides its own loopback) and clients connect to. */
  address: string;
  /** The network namespace it runs in; undefined: this machine's own. */
  netns?: string;
  /** Other clients allowed in (PostgreSQL's pg_hba), as a CIDR: the bridge's subnet. */
  clients?: string;
}

/** The one-host stack: everything on 127.0.0.1. */
export const LOCAL: Spot = { address: '127.0.0.1' };

/** A command as it runs at a spot: inside its namespace (`ip netns exec`), or as it is. */
export function atSpot(spot: Spot, command: string, args: string[]): [string, string[]] {
  return spot.netns ? ['ip', ['netns', 'exec', spot.netns, command, ...args]] : [command, args];
}

/** The addresses a server listens on at a spot: its loopback, and its bridge address when it has one. */
export function listenAddresses(spot: Spot): string[] {
  return [...new Set(['127.0.0.1', spot.address])];
}

import type { PeerConfig } from '../config/schema';
import { Peer, PeerGroup } from '../upstream/peer';

/** Test helper: a peer config with nginx's defaults. */
export function peerConfig(address: string, overrides: Partial<PeerConfig> = {}): PeerConfig {
  const [host, port] = address.split(':');
  return {
    host,
    port: Number(port ?? 80),
    address,
    id: address,
    weight: 1,
    maxFails: 1,
    failTimeoutMs: 10_000,
    maxConns: 0,
    backup: false,
    down: false,
    file: 'test.conf',
    line: 1,
    ...overrides,
  };
}

/** Test helper: peers a, b, c... on 10.0.0.N:80 with the given weights, indexed in order. */
export function makePeers(weights: readonly number[], overrides: Partial<PeerConfig> = {}): Peer[] {
  return weights.map((weight, i) => {
    const peer = new Peer('test', peerConfig(`10.0.0.${i + 1}:80`, { weight, ...overrides }));
    peer.index = i;
    return peer;
  });
}

export function group(peers: readonly Peer[]): PeerGroup {
  return new PeerGroup(peers, peers.length === 1);
}

/** Letter for a peer of makePeers (a = first). */
export function letter(peer: Peer | null): string {
  return peer === null ? '-' : String.fromCharCode(97 + peer.index);
}

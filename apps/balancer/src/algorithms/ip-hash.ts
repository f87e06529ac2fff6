import { isAvailable } from '../upstream/availability';
import type { Peer, PeerGroup } from '../upstream/peer';
import type { Attempt } from './attempt';
import type { AlgorithmDefinition, LoadBalancer } from './load-balancer';
import { pickSmoothWeighted } from './round-robin';

const MAX_TRIES = 20;

/**
 * nginx's ip_hash: the first three octets of an IPv4 client address (the whole address for
 * IPv6) hashed into a weighted slot, so clients of one /24 stick to one peer. When that peer
 * is unusable it re-hashes (up to 20 times), then falls back to round-robin.
 */
export class IpHash implements LoadBalancer {
  readonly name = 'ip_hash';
  readonly description = 'ip_hash';
  readonly readsInFlight = false;

  pick(group: PeerGroup, attempt: Attempt, now: number): Peer | null {
    if (attempt.hashTries > MAX_TRIES || group.single || group.totalWeight === 0) return pickSmoothWeighted(group, attempt, now);
    if (attempt.rehash === 0) {
      attempt.hash = 89;
      attempt.rehash = 1;
    }
    const octets = addressOctets(attempt.clientAddress);
    const peers = group.peers;
    let hash = attempt.hash;
    for (;;) {
      for (let i = 0; i < octets.length; i++) hash = (hash * 113 + octets[i]) % 6271;
      let weight = hash % group.totalWeight;
      let index = 0;
      while (weight >= peers[index].weight) {
        weight -= peers[index].weight;
        index++;
      }
      const peer = peers[index];
      if (!attempt.isTried(peer.index) && isAvailable(peer, now, false)) {
        attempt.hash = hash;
        attempt.hashTries++;
        return peer;
      }
      if (++attempt.hashTries > MAX_TRIES) return pickSmoothWeighted(group, attempt, now);
    }
  }
}

const V4_MAPPED = '::ffff:';

/** The bytes nginx hashes: 3 octets of IPv4 (also when IPv4-mapped IPv6), 16 of IPv6. */
export function addressOctets(address: string): number[] {
  const v4 = address.startsWith(V4_MAPPED) && address.includes('.') ? address.slice(V4_MAPPED.length) : address;
  if (v4.includes('.')) {
    const parts = v4.split('.');
    return [Number(parts[0]) & 255, Number(parts[1]) & 255, Number(parts[2]) & 255];
  }
  return ipv6Bytes(address);
}

function ipv6Bytes(address: string): number[] {
  const [head, tail = ''] = address.split('::');
  const groups = (text: string) => (text === '' ? [] : text.split(':'));
  const left = groups(head);
  const right = address.includes('::') ? groups(tail) : [];
  const all = [...left, ...new Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  const bytes: number[] = [];
  for (const group of all.slice(0, 8)) {
    const value = parseInt(group, 16) || 0;
    bytes.push((value >> 8) & 255, value & 255);
  }
  return bytes;
}

export const ipHash: AlgorithmDefinition = {
  name: 'ip_hash',
  directive: 'ip_hash',
  supportsBackup: false,
  maxArgs: 0,
  validate: (args) => (args.length === 0 ? null : 'takes no arguments'),
  create: () => new IpHash(),
};

import { crc32 } from 'node:zlib';
import { Template } from '../http/variables';
import { isAvailable } from '../upstream/availability';
import type { Peer, PeerGroup } from '../upstream/peer';
import type { Attempt } from './attempt';
import { ConsistentHash } from './consistent-hash';
import type { AlgorithmDefinition, LoadBalancer } from './load-balancer';
import { pickSmoothWeighted } from './round-robin';

const MAX_TRIES = 20;

/**
 * nginx's `hash KEY` (without `consistent`): crc32 of the key picks a weighted slot, as
 * Cache::Memcached does. Adding or removing a peer remaps most keys; use `consistent` when
 * that matters. An unusable peer makes it re-hash with a counter prefix (up to 20 times),
 * then fall back to round-robin. An empty key also falls back to round-robin.
 */
export class Hash implements LoadBalancer {
  readonly name = 'hash';
  readonly description: string;
  readonly readsInFlight = false;
  readonly #key: Template;

  constructor(key: Template) {
    this.#key = key;
    this.description = `hash ${key.text}`;
  }

  pick(group: PeerGroup, attempt: Attempt, now: number): Peer | null {
    const key = attempt.keyFor(this.#key);
    if (attempt.hashTries > MAX_TRIES || group.single || key === '' || group.totalWeight === 0)
      return pickSmoothWeighted(group, attempt, now);
    const peers = group.peers;
    for (;;) {
      const crc = attempt.rehash > 0 ? crc32(key, crc32(String(attempt.rehash))) : crc32(key);
      attempt.hash += (crc >>> 16) & 0x7fff;
      attempt.rehash++;
      let weight = attempt.hash % group.totalWeight;
      let index = 0;
      while (weight >= peers[index].weight) {
        weight -= peers[index].weight;
        index++;
      }
      const peer = peers[index];
      if (!attempt.isTried(peer.index) && isAvailable(peer, now, false)) return peer;
      if (++attempt.hashTries > MAX_TRIES) return pickSmoothWeighted(group, attempt, now);
    }
  }
}

export const hash: AlgorithmDefinition = {
  name: 'hash',
  directive: 'hash',
  supportsBackup: false,
  maxArgs: 2,
  validate(args) {
    if (args.length === 0) return 'needs a key, e.g. hash $request_uri;';
    if (args.length === 2 && args[1] !== 'consistent') return `unknown parameter "${args[1]}" (only "consistent")`;
    try {
      new Template(args[0]);
    } catch (error) {
      return (error as Error).message;
    }
    return null;
  },
  create(args, primaries) {
    const key = new Template(args[0]);
    return args[1] === 'consistent' ? new ConsistentHash(key, primaries) : new Hash(key);
  },
};

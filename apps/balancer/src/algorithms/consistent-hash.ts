import { crc32 } from 'node:zlib';
import type { Template } from '../http/variables';
import { isAvailable } from '../upstream/availability';
import type { Peer, PeerGroup } from '../upstream/peer';
import type { Attempt } from './attempt';
import type { LoadBalancer } from './load-balancer';
import { pickSmoothWeighted } from './round-robin';

const POINTS_PER_WEIGHT = 160;
const MAX_TRIES = 20;

/**
 * nginx's `hash KEY consistent` (ketama): each peer owns 160 x weight points on a 32-bit
 * ring, derived from crc32("host\0port") as Cache::Memcached::Fast does; a key goes to the
 * first point at or after crc32(key). Removing one of N peers moves only the keys it owned
 * (about 1/N). An unusable peer passes the key to the next point (up to 20), then
 * round-robin takes over.
 */
export class ConsistentHash implements LoadBalancer {
  readonly name = 'hash';
  readonly description: string;
  readonly readsInFlight = false;
  readonly #key: Template;
  /** Ring points, sorted; #owners[i] owns #points[i]. */
  readonly #points: Uint32Array;
  readonly #owners: Peer[];

  constructor(key: Template, group: PeerGroup) {
    this.#key = key;
    this.description = `hash ${key.text} consistent`;
    const ring: Array<{ point: number; peer: Peer }> = [];
    const previous = Buffer.alloc(4);
    for (const peer of group.peers) {
      const base = crc32(`${peer.host}\0${peer.port}`);
      previous.writeUInt32LE(0, 0);
      for (let i = 0; i < peer.weight * POINTS_PER_WEIGHT; i++) {
        const point = crc32(previous, base);
        ring.push({ point, peer });
        previous.writeUInt32LE(point, 0);
      }
    }
    ring.sort((a, b) => a.point - b.point);
    const unique = ring.filter((entry, i) => i === 0 || entry.point !== ring[i - 1].point);
    this.#points = Uint32Array.from(unique, (entry) => entry.point);
    this.#owners = unique.map((entry) => entry.peer);
  }

  pick(group: PeerGroup, attempt: Attempt, now: number): Peer | null {
    const points = this.#points;
    if (attempt.hashTries > MAX_TRIES || group.single || points.length === 0) return pickSmoothWeighted(group, attempt, now);
    if (attempt.rehash === 0) {
      const key = attempt.keyFor(this.#key);
      if (key === '') return pickSmoothWeighted(group, attempt, now);
      attempt.hash = this.findPoint(crc32(key));
      attempt.rehash = 1;
    }
    for (;;) {
      const peer = this.#owners[attempt.hash % points.length];
      if (!attempt.isTried(peer.index) && isAvailable(peer, now, false)) return peer;
      attempt.hash++;
      if (++attempt.hashTries > MAX_TRIES) return pickSmoothWeighted(group, attempt, now);
    }
  }

  /** Index of the first point >= hash (wrapping to 0 past the last). */
  findPoint(hash: number): number {
    const points = this.#points;
    let low = 0;
    let high = points.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (points[middle] < hash) low = middle + 1;
      else high = middle;
    }
    return low === points.length ? 0 : low;
  }
}

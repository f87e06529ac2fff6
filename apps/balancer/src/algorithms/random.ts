import { isAvailable } from '../upstream/availability';
import type { Peer, PeerGroup } from '../upstream/peer';
import type { Attempt } from './attempt';
import type { AlgorithmDefinition, LoadBalancer } from './load-balancer';
import { pickSmoothWeighted } from './round-robin';

const MAX_TRIES = 20;

/**
 * nginx's `random [two [least_conn]]`. Plain `random` picks a peer with probability
 * proportional to its weight. `random two` is the power of two choices: draw two distinct
 * peers at random and send the request to the one with fewer requests in flight per weight.
 * It keeps most of least_conn's benefit while each pick looks at two peers only, and it does
 * not herd every balancer onto the same "least" peer.
 */
export class RandomPick implements LoadBalancer {
  readonly name = 'random';
  readonly description: string;
  readonly readsInFlight: boolean;
  readonly #two: boolean;
  /** Cumulative weights of the group's peers, for a weighted draw by binary search. */
  readonly #ranges: Float64Array;
  readonly #random: () => number;

  constructor(two: boolean, group: PeerGroup, random: () => number = Math.random) {
    this.#two = two;
    this.readsInFlight = two;
    this.description = two ? 'random two least_conn' : 'random';
    this.#random = random;
    this.#ranges = new Float64Array(group.peers.length);
    let running = 0;
    group.peers.forEach((peer, i) => {
      running += peer.weight;
      this.#ranges[i] = running;
    });
  }

  pick(group: PeerGroup, attempt: Attempt, now: number): Peer | null {
    if (group.single || group.peers.length < 2) return pickSmoothWeighted(group, attempt, now);
    const first = this.#draw(group, attempt, now, null);
    if (first === null) return pickSmoothWeighted(group, attempt, now);
    if (!this.#two) return first;
    const second = this.#draw(group, attempt, now, first);
    if (second === null) return first;
    return (second.conns + second.otherConns) * first.weight < (first.conns + first.otherConns) * second.weight ? second : first;
  }

  /** A usable, untried peer drawn by weight (and other than `not`), or null after 20 draws. */
  #draw(group: PeerGroup, attempt: Attempt, now: number, not: Peer | null): Peer | null {
    const ranges = this.#ranges;
    const total = ranges[ranges.length - 1];
    for (let tries = 0; tries < MAX_TRIES; tries++) {
      const x = this.#random() * total;
      let low = 0;
      let high = ranges.length - 1;
      while (low < high) {
        const middle = (low + high) >>> 1;
        if (ranges[middle] <= x) low = middle + 1;
        else high = middle;
      }
      const peer = group.peers[low];
      if (peer !== not && !attempt.isTried(peer.index) && isAvailable(peer, now, false)) return peer;
    }
    return null;
  }
}

export const random: AlgorithmDefinition = {
  name: 'random',
  directive: 'random',
  supportsBackup: false,
  maxArgs: 2,
  validate(args) {
    if (args.length === 0) return null;
    if (args[0] !== 'two') return `unknown parameter "${args[0]}" (random takes: two [least_conn])`;
    if (args.length === 2 && args[1] !== 'least_conn') return `unknown method "${args[1]}" (random two takes: least_conn)`;
    return null;
  },
  create: (args, primaries) => new RandomPick(args[0] === 'two', primaries),
};

import { isAvailable } from '../upstream/availability';
import type { Peer, PeerGroup } from '../upstream/peer';
import type { Attempt } from './attempt';
import type { AlgorithmDefinition, LoadBalancer } from './load-balancer';

/**
 * nginx's smooth weighted round-robin: each pick adds every usable peer's effective weight to
 * its current weight, takes the peer with the highest current weight and subtracts the
 * total from it. Weights 5,1,1 give a a b a c a a: the heavy peer is spread out, not bunched.
 * Effective weight drops after failures and climbs back by one per pick.
 */
export function pickSmoothWeighted(group: PeerGroup, attempt: Attempt, now: number): Peer | null {
  const peers = group.peers;
  const single = group.single;
  let best: Peer | null = null;
  let total = 0;
  for (let i = 0; i < peers.length; i++) {
    const peer = peers[i];
    if (attempt.isTried(peer.index) || !isAvailable(peer, now, single)) continue;
    peer.currentWeight += peer.effectiveWeight;
    total += peer.effectiveWeight;
    if (peer.effectiveWeight < peer.weight) peer.effectiveWeight++;
    if (best === null || peer.currentWeight > best.currentWeight) best = peer;
  }
  if (best !== null) best.currentWeight -= total;
  return best;
}

export class RoundRobin implements LoadBalancer {
  readonly name = 'round_robin';
  readonly description = 'round_robin';
  readonly readsInFlight = false;

  pick(group: PeerGroup, attempt: Attempt, now: number): Peer | null {
    return pickSmoothWeighted(group, attempt, now);
  }
}

export const roundRobin: AlgorithmDefinition = {
  name: 'round_robin',
  directive: null,
  supportsBackup: true,
  maxArgs: 0,
  validate: (args) => (args.length === 0 ? null : 'takes no arguments'),
  create: () => new RoundRobin(),
};

import { isAvailable } from '../upstream/availability';
import type { Peer, PeerGroup } from '../upstream/peer';
import type { Attempt } from './attempt';
import type { AlgorithmDefinition, LoadBalancer } from './load-balancer';

/**
 * nginx's least_conn: the usable peer with the fewest requests in flight relative to its
 * weight (conns/weight, compared by cross-multiplying); ties go to smooth weighted
 * round-robin among the tied peers, so an idle upstream still spreads its requests.
 */
export class LeastConn implements LoadBalancer {
  readonly name = 'least_conn';
  readonly description = 'least_conn';
  readonly readsInFlight = true;

  pick(group: PeerGroup, attempt: Attempt, now: number): Peer | null {
    const peers = group.peers;
    const single = group.single;
    let best: Peer | null = null;
    let bestIndex = 0;
    let many = false;
    for (let i = 0; i < peers.length; i++) {
      const peer = peers[i];
      if (attempt.isTried(peer.index) || !isAvailable(peer, now, single)) continue;
      if (best === null || inFlight(peer) * best.weight < inFlight(best) * peer.weight) {
        best = peer;
        bestIndex = i;
        many = false;
      } else if (inFlight(peer) * best.weight === inFlight(best) * peer.weight) {
        many = true;
      }
    }
    if (best === null || !many) return best;

    const leader = best;
    let total = 0;
    for (let i = bestIndex; i < peers.length; i++) {
      const peer = peers[i];
      if (attempt.isTried(peer.index) || !isAvailable(peer, now, single)) continue;
      if (inFlight(peer) * leader.weight !== inFlight(leader) * peer.weight) continue;
      peer.currentWeight += peer.effectiveWeight;
      total += peer.effectiveWeight;
      if (peer.effectiveWeight < peer.weight) peer.effectiveWeight++;
      if (peer.currentWeight > best.currentWeight) best = peer;
    }
    best.currentWeight -= total;
    return best;
  }
}

/** Requests in flight to the peer: this worker's, plus the other workers' when the upstream has a zone. */
function inFlight(peer: Peer): number {
  return peer.conns + peer.otherConns;
}

export const leastConn: AlgorithmDefinition = {
  name: 'least_conn',
  directive: 'least_conn',
  supportsBackup: true,
  maxArgs: 0,
  validate: (args) => (args.length === 0 ? null : 'takes no arguments'),
  create: () => new LeastConn(),
};

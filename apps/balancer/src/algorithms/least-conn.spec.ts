import { group, letter, makePeers } from '../testing/peers';
import { acquirePeer, releasePeer } from '../upstream/availability';
import { Attempt } from './attempt';
import { LeastConn } from './least-conn';

describe('least_conn', () => {
  it('picks the peer with the fewest requests in flight', () => {
    const peers = makePeers([1, 1, 1]);
    peers[0].conns = 3;
    peers[1].conns = 1;
    peers[2].conns = 2;
    expect(letter(new LeastConn().pick(group(peers), new Attempt(), 0))).toBe('b');
  });

  it('compares conns relative to weight', () => {
    const peers = makePeers([4, 1]);
    peers[0].conns = 3; // 3/4 per weight
    peers[1].conns = 1; // 1/1
    expect(letter(new LeastConn().pick(group(peers), new Attempt(), 0))).toBe('a');
  });

  it('breaks ties with weighted round-robin, so an idle upstream still spreads requests', () => {
    const peers = makePeers([1, 1, 1]);
    const balancer = new LeastConn();
    const picks = Array.from({ length: 6 }, () => letter(balancer.pick(group(peers), new Attempt(), 0)));
    expect(picks).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });

  it('keeps requests in flight even when one peer is slow (the spread over many requests)', () => {
    const peers = makePeers([1, 1, 1]);
    const balancer = new LeastConn();
    // Peer a answers 10x slower: it should get far fewer requests than the others.
    const inFlight: Array<{ peer: (typeof peers)[number]; doneAt: number }> = [];
    const served = [0, 0, 0];
    for (let tick = 0; tick < 3000; tick++) {
      for (let i = inFlight.length - 1; i >= 0; i--) {
        if (inFlight[i].doneAt <= tick) {
          releasePeer(inFlight[i].peer, false, tick);
          inFlight.splice(i, 1);
        }
      }
      const peer = balancer.pick(group(peers), new Attempt(), tick)!;
      acquirePeer(peer, tick);
      served[peer.index]++;
      inFlight.push({ peer, doneAt: tick + (peer.index === 0 ? 30 : 3) });
    }
    expect(served[0]).toBeLessThan(served[1] / 3);
    expect(Math.abs(served[1] - served[2])).toBeLessThan(served[1] * 0.05);
  });

  it('returns null when every peer is unavailable', () => {
    const peers = makePeers([1, 1]);
    peers.forEach((peer) => (peer.down = true));
    expect(new LeastConn().pick(group(peers), new Attempt(), 0)).toBeNull();
  });
});

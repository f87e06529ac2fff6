import { group, letter, makePeers } from '../testing/peers';
import { acquirePeer, releasePeer } from '../upstream/availability';
import { Attempt } from './attempt';
import { RoundRobin } from './round-robin';

describe('smooth weighted round-robin', () => {
  const pickSequence = (weights: number[], count: number): string => {
    const peers = makePeers(weights);
    const balancer = new RoundRobin();
    const peerGroup = group(peers);
    return Array.from({ length: count }, () => letter(balancer.pick(peerGroup, new Attempt(), 0))).join(' ');
  };

  it("gives nginx's sequence for weights 5,1,1: a a b a c a a", () => {
    expect(pickSequence([5, 1, 1], 7)).toBe('a a b a c a a');
    // ...and repeats it.
    expect(pickSequence([5, 1, 1], 14)).toBe('a a b a c a a a a b a c a a');
  });

  it('alternates equal peers', () => {
    expect(pickSequence([1, 1, 1], 6)).toBe('a b c a b c');
  });

  it('spreads picks in proportion to weight over many requests', () => {
    const peers = makePeers([3, 2, 1]);
    const balancer = new RoundRobin();
    const counts = [0, 0, 0];
    for (let i = 0; i < 6000; i++) counts[(balancer.pick(group(peers), new Attempt(), 0) as { index: number }).index]++;
    expect(counts).toEqual([3000, 2000, 1000]);
  });

  it('skips peers the attempt already tried, and returns null when none is left', () => {
    const peers = makePeers([1, 1]);
    const balancer = new RoundRobin();
    const attempt = new Attempt();
    const first = balancer.pick(group(peers), attempt, 0);
    attempt.markTried(first!.index);
    const second = balancer.pick(group(peers), attempt, 0);
    expect(second).not.toBe(first);
    attempt.markTried(second!.index);
    expect(balancer.pick(group(peers), attempt, 0)).toBeNull();
  });

  it('skips down peers and peers at max_conns', () => {
    const peers = makePeers([1, 1, 1]);
    peers[0].down = true;
    peers[1].maxConns = 1;
    peers[1].conns = 1;
    const balancer = new RoundRobin();
    for (let i = 0; i < 5; i++) expect(letter(balancer.pick(group(peers), new Attempt(), 0))).toBe('c');
  });

  it('after max_fails failures leaves a peer out for fail_timeout, then lets one trial request through', () => {
    const peers = makePeers([1, 1], { maxFails: 2, failTimeoutMs: 10_000 });
    const balancer = new RoundRobin();
    const [a] = peers;
    releasePeer(a, true, 1000);
    expect(a.fails).toBe(1);
    releasePeer(a, true, 1000);
    const picks = Array.from({ length: 4 }, () => letter(balancer.pick(group(peers), new Attempt(), 5000)));
    expect(picks).toEqual(['b', 'b', 'b', 'b']);
    // fail_timeout later: a gets a trial...
    // (Upstream.pick calls acquirePeer after the algorithm: that is where the trial is booked.)
    const pickAndAcquire = (now: number) => {
      const peer = balancer.pick(group(peers), new Attempt(), now)!;
      acquirePeer(peer, now);
      return peer;
    };
    const trial = Array.from({ length: 4 }, () => pickAndAcquire(11_001));
    expect(trial.filter((peer) => peer === a)).toHaveLength(1);
    // ...and its success clears the failures.
    releasePeer(a, false, 11_002);
    expect(a.fails).toBe(0);
    expect(Array.from({ length: 4 }, () => letter(pickAndAcquire(11_003)))).toContain('a');
  });

  it('lowers the effective weight of a failing peer and lets it recover by one per pick', () => {
    const [a, b] = makePeers([10, 10], { maxFails: 5 });
    releasePeer(a, true, 0);
    expect(a.effectiveWeight).toBe(8);
    const balancer = new RoundRobin();
    balancer.pick(group([a, b]), new Attempt(), 0);
    expect(a.effectiveWeight).toBe(9);
  });
});

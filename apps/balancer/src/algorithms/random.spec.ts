import { group, makePeers } from '../testing/peers';
import { Attempt } from './attempt';
import { random, RandomPick } from './random';

function sequence(values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length];
}

describe('random', () => {
  it('draws peers in proportion to their weight', () => {
    const peers = makePeers([3, 1]);
    const balancer = new RandomPick(false, group(peers));
    const counts = [0, 0];
    for (let i = 0; i < 20_000; i++) counts[balancer.pick(group(peers), new Attempt(), 0)!.index]++;
    expect(counts[0] / 20_000).toBeGreaterThan(0.72);
    expect(counts[0] / 20_000).toBeLessThan(0.78);
  });

  it('random two sends the request to the less busy of two drawn peers', () => {
    const peers = makePeers([1, 1, 1, 1]);
    peers[0].conns = 5;
    peers[2].conns = 1;
    // Draws land on peer a (0.1 of 4) and peer c (0.6 of 4).
    const balancer = new RandomPick(true, group(peers), sequence([0.1, 0.6]));
    expect(balancer.pick(group(peers), new Attempt(), 0)!.index).toBe(2);
  });

  it('random two never sends to a peer busier than the other drawn one (over many picks)', () => {
    const peers = makePeers([1, 1, 1, 1]);
    peers.forEach((peer, i) => (peer.conns = i * 10));
    const balancer = new RandomPick(true, group(peers));
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[balancer.pick(group(peers), new Attempt(), 0)!.index]++;
    // The busiest peer is never the less busy of two distinct peers.
    expect(counts[3]).toBe(0);
    expect(counts[0]).toBeGreaterThan(counts[1]);
    expect(counts[1]).toBeGreaterThan(counts[2]);
  });

  it('skips unavailable and tried peers', () => {
    const peers = makePeers([1, 1, 1]);
    peers[0].down = true;
    const attempt = new Attempt();
    attempt.markTried(1);
    const balancer = new RandomPick(true, group(peers));
    for (let i = 0; i < 50; i++) expect(balancer.pick(group(peers), attempt, 0)!.index).toBe(2);
  });

  it('validates its arguments', () => {
    expect(random.validate([])).toBeNull();
    expect(random.validate(['two'])).toBeNull();
    expect(random.validate(['two', 'least_conn'])).toBeNull();
    expect(random.validate(['three'])).toMatch(/unknown parameter/);
    expect(random.validate(['two', 'least_time'])).toMatch(/unknown method/);
  });
});

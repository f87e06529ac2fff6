import { peerConfig } from '../testing/peers';
import { AdaptiveLimit } from './adaptive-limit';
import { Peer } from './peer';

/** `count` answers of `ms` each, as the proxy records them. */
function answer(peer: Peer, count: number, ms: number): void {
  for (let i = 0; i < count; i++) peer.latency.record(ms);
}

describe('AdaptiveLimit', () => {
  const config = { targetMs: 100, min: 2, file: 't', line: 1 };

  it('shrinks a slow peer in proportion, holds for one response time, then grows while it is fast and in use', () => {
    const slow = new Peer('api', peerConfig('10.0.0.1:80', { maxConns: 64 }));
    const unlimited = new Peer('api', peerConfig('10.0.0.2:80'));
    const limit = new AdaptiveLimit(config, [slow, unlimited], () => false);
    expect(limit.ceilingOf(slow)).toBe(64);
    expect(limit.ceilingOf(unlimited)).toBe(0);

    // 125 ms on average, 1.25 times the target: down to 1/1.25 of the limit.
    answer(slow, 10, 125);
    limit.tick(0);
    expect(slow.maxConns).toBe(51);
    // Still slow, but these answers were sent under the old limit: held for 125 ms.
    answer(slow, 10, 125);
    limit.tick(100);
    expect(slow.maxConns).toBe(51);
    // Ten times the target: at most by half per step.
    limit.tick(150);
    answer(slow, 10, 1000);
    limit.tick(200);
    expect(slow.maxConns).toBe(25);
    expect(limit.decreases).toBe(2);

    // Fast again, but idle: no reason to raise a limit nobody uses.
    answer(slow, 10, 30);
    limit.tick(2_000);
    expect(slow.maxConns).toBe(25);
    // In use (half its limit in flight) and under half the target: up by an eighth.
    slow.conns = 13;
    answer(slow, 10, 30);
    limit.tick(2_100);
    expect(slow.maxConns).toBe(28);
    // Under the target but over half of it: up by one.
    slow.conns = 14;
    answer(slow, 10, 80);
    limit.tick(2_200);
    expect(slow.maxConns).toBe(29);
    // Too few answers say nothing.
    answer(slow, 2, 500);
    limit.tick(2_300);
    expect(slow.maxConns).toBe(29);
    expect(unlimited.maxConns).toBe(0);
  });

  it('never goes below min nor above max_conns, and gives max_conns back when stopped', () => {
    const peer = new Peer('api', peerConfig('10.0.0.1:80', { maxConns: 4 }));
    let waiting = false;
    const limit = new AdaptiveLimit(config, [peer], () => waiting);
    for (let t = 0; t < 10_000; t += 1_000) {
      answer(peer, 10, 10_000);
      limit.tick(t);
    }
    expect(peer.maxConns).toBe(2);
    // Requests wait in the queue: the limit is in use even with nothing in flight.
    waiting = true;
    for (let t = 20_000; t < 30_000; t += 100) {
      answer(peer, 10, 10);
      limit.tick(t);
    }
    expect(peer.maxConns).toBe(4);
    answer(peer, 10, 10_000);
    limit.tick(40_000);
    expect(peer.maxConns).toBe(2);
    limit.stop();
    expect(peer.maxConns).toBe(4);
  });
});

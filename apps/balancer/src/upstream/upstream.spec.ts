import { Attempt } from '../algorithms/attempt';
import type { UpstreamConfig } from '../config/schema';
import { LogSink } from '../observability/log-sink';
import { Logger } from '../observability/logger';
import { peerConfig } from '../testing/peers';
import { LatencyRecorder } from './latency-recorder';
import { Upstream } from './upstream';

const logger = new Logger(new LogSink({ kind: 'off' }));

function upstream(servers: UpstreamConfig['servers'], method = 'round_robin', args: string[] = []): Upstream {
  return new Upstream(
    {
      name: 'api',
      file: 't',
      line: 1,
      method: { name: method, args, file: 't', line: 1 },
      servers,
      keepalive: 8,
      keepaliveTimeoutMs: 4000,
      keepaliveRequests: 100,
      keepaliveTimeMs: 3_600_000,
      connectTimeoutMs: 1000,
      healthCheck: null,
      failOnReadTimeout: false,
      queue: null,
      zone: null,
      adaptive: null,
      implicit: false,
    },
    null,
    logger,
  );
}

describe('Upstream', () => {
  afterAll(() => undefined);

  it('uses backup peers only when no primary can take the request', () => {
    const api = upstream([peerConfig('10.0.0.1:80'), peerConfig('10.0.0.2:80'), peerConfig('10.0.0.9:80', { backup: true })]);
    const picks = () => Array.from({ length: 4 }, () => api.pick(new Attempt(), 0)!.address);
    expect(picks()).not.toContain('10.0.0.9:80');
    api.peers[0].down = true;
    api.peers[1].healthy = false;
    expect(new Set(picks())).toEqual(new Set(['10.0.0.9:80']));
  });

  it('books conns and requests on pick, and passive health on release', () => {
    const api = upstream([peerConfig('10.0.0.1:80', { maxFails: 1 }), peerConfig('10.0.0.2:80')]);
    const attempt = new Attempt();
    const peer = api.pick(attempt, 1000)!;
    expect(peer.conns).toBe(1);
    expect(attempt.tries).toBe(1);
    expect(attempt.isTried(peer.index)).toBe(true);
    api.release(peer, true, 1000);
    expect(peer.conns).toBe(0);
    expect(peer.failures).toBe(1);
    expect(peer.ejections).toBe(1);
    // The failed peer is out: every pick goes to the other one.
    for (let i = 0; i < 3; i++) expect(api.pick(new Attempt(), 2000)).not.toBe(peer);
  });

  it('resets every failure count when no peer is usable (nginx quick recovery): one null pick, then the peers again', () => {
    const api = upstream([
      peerConfig('10.0.0.1:80', { maxFails: 1, failTimeoutMs: 60_000 }),
      peerConfig('10.0.0.2:80', { maxFails: 1, failTimeoutMs: 60_000 }),
    ]);
    for (const peer of api.peers) {
      api.pick(new Attempt(), 1000);
      api.release(peer, true, 1000);
    }
    expect(api.pick(new Attempt(), 2000)).toBeNull();
    expect(api.recoveries).toBe(1);
    expect(api.peers.map((peer) => peer.fails)).toEqual([0, 0]);
    expect(api.pick(new Attempt(), 2001)).not.toBeNull();
  });

  it('tells "at max_conns" (wait or 503) from "down or failing" (502)', () => {
    const api = upstream([peerConfig('10.0.0.1:80', { maxConns: 1 }), peerConfig('10.0.0.2:80', { maxConns: 1 })]);
    api.pick(new Attempt(), 0);
    api.pick(new Attempt(), 0);
    expect(api.pick(new Attempt(), 0)).toBeNull();
    expect(api.isAtCapacity(0)).toBe(true);
    expect(api.inFlight()).toEqual({ inFlight: 2, limit: 2 });
    for (const peer of api.peers) peer.down = true;
    expect(api.isAtCapacity(0)).toBe(false);
  });

  it('never takes out a single peer for failures (nowhere else to go), as nginx', () => {
    const api = upstream([peerConfig('10.0.0.1:80', { maxFails: 1 })]);
    const peer = api.pick(new Attempt(), 0)!;
    api.release(peer, true, 0);
    expect(api.pick(new Attempt(), 1)).toBe(peer);
  });

  it('switches algorithms at run time and refuses what cannot work', () => {
    const api = upstream([peerConfig('10.0.0.1:80'), peerConfig('10.0.0.2:80', { backup: true })]);
    expect(api.switchAlgorithm('least_conn', [])).toBeNull();
    expect(api.balancer.name).toBe('least_conn');
    expect(api.switchAlgorithm('ip_hash', [])).toMatch(/cannot be used with backup servers/);
    expect(api.switchAlgorithm('fastest', [])).toMatch(/unknown algorithm "fastest"/);
    expect(api.switchAlgorithm('hash', [])).toMatch(/needs a key/);
    const plain = upstream([peerConfig('10.0.0.1:80'), peerConfig('10.0.0.2:80')]);
    expect(plain.switchAlgorithm('hash', ['$request_uri', 'consistent'])).toBeNull();
    expect(plain.balancer.description).toBe('hash $request_uri consistent');
  });

  it('keeps peers (and their state) across a reload that keeps their address', () => {
    const before = upstream([peerConfig('10.0.0.1:80'), peerConfig('10.0.0.2:80')]);
    before.peers[0].requests = 42;
    const after = new Upstream(
      { ...before.config, servers: [peerConfig('10.0.0.1:80', { weight: 3 }), peerConfig('10.0.0.3:80')] },
      before,
      logger,
    );
    expect(after.peers[0]).toBe(before.peers[0]);
    expect(after.peers[0].weight).toBe(3);
    expect(after.peers[0].requests).toBe(42);
    expect(after.peers[1]).not.toBe(before.peers[1]);
  });
});

describe('LatencyRecorder', () => {
  it('keeps the last samples for percentiles and cumulative buckets for Prometheus', () => {
    const recorder = new LatencyRecorder(100);
    for (let i = 1; i <= 200; i++) recorder.record(i);
    // Only the last 100 samples (101..200) remain in the ring.
    expect(recorder.percentiles([50, 99])).toEqual([150, 199]);
    expect(recorder.count).toBe(200);
    const cumulative = recorder.cumulative();
    expect(cumulative[cumulative.length - 1]).toBe(200);
    expect(new LatencyRecorder().percentiles([50])).toEqual([null]);
  });
});

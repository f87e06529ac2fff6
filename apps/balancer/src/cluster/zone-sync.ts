import type { Generation } from '../runtime/generation';
import type { Peer } from '../upstream/peer';
import type { SharedPeerBook } from '../upstream/shared-book';
import type { Upstream } from '../upstream/upstream';
import type { SharedHealth, ZoneEvent, ZoneUpdate } from './messages';

/**
 * A worker's side of upstream zones (worker_processes N with `zone NAME [SIZE]` in an
 * upstream). nginx keeps such an upstream's peers in shared memory, read and written by every
 * worker under a lock; Node workers share no memory, so the primary keeps the shared part
 * (zone-store.ts) and this book reports to it and adopts what it sends back:
 *   - passive health (failures, when the last one happened, the one trial per fail_timeout)
 *     and quick recovery: each event is applied here at once and sent to the primary, which
 *     counts it and sends the result to every worker;
 *   - the active health check's verdicts: worker 0 runs the checks, the others adopt them;
 *   - requests in flight per peer (least_conn, random two, max_conns): sent at most once per
 *     event-loop turn, and each worker counts its own plus the others' as last reported.
 * Everything arrives one IPC hop late (the primary relays it): the README says what that means.
 */
export class WorkerZoneBook implements SharedPeerBook {
  readonly #index: number;
  readonly #send: (message: ZoneEvent) => void;
  readonly #generation: () => Generation | null;
  readonly #dirty = new Set<Upstream>();
  #flushScheduled = false;

  constructor(index: number, send: (message: ZoneEvent) => void, generation: () => Generation | null) {
    this.#index = index;
    this.#send = send;
    this.#generation = generation;
  }

  connsChanged(upstream: Upstream): void {
    this.#dirty.add(upstream);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => this.#flush());
  }

  failed(upstream: Upstream, peer: Peer, at: number): void {
    this.#send({ type: 'tenk:zone-fail', upstream: upstream.name, peer: peer.id, at });
  }

  cleared(upstream: Upstream, peer: Peer): void {
    this.#send({ type: 'tenk:zone-ok', upstream: upstream.name, peer: peer.id });
  }

  trial(upstream: Upstream, peer: Peer, at: number): void {
    this.#send({ type: 'tenk:zone-trial', upstream: upstream.name, peer: peer.id, at });
  }

  recovered(upstream: Upstream): void {
    this.#send({ type: 'tenk:zone-recover', upstream: upstream.name });
  }

  checked(upstream: Upstream, peer: Peer): void {
    this.#send({ type: 'tenk:zone-health', upstream: upstream.name, peer: peer.id, health: healthOf(peer) });
  }

  runsHealthChecks(): boolean {
    return this.#index === 0;
  }

  /** Adopts what the primary sends. */
  apply(update: ZoneUpdate): void {
    const upstream = this.#generation()?.upstreams.get(update.upstream);
    if (upstream === undefined || upstream.shared === null) return;
    if (update.type === 'tenk:zone-others') {
      for (const peer of upstream.peers) peer.otherConns = update.conns[peer.id] ?? 0;
      return;
    }
    const peer = upstream.peers.find((candidate) => candidate.id === update.peer);
    if (peer === undefined) return;
    if (update.type === 'tenk:zone-peer') {
      peer.fails = update.state.fails;
      peer.accessedAt = update.state.accessedAt;
      peer.checkedAt = update.state.checkedAt;
    } else {
      Object.assign(peer, update.health);
    }
  }

  #flush(): void {
    this.#flushScheduled = false;
    for (const upstream of this.#dirty) {
      const conns: Record<string, number> = {};
      for (const peer of upstream.peers) conns[peer.id] = peer.conns;
      this.#send({ type: 'tenk:zone-conns', upstream: upstream.name, conns });
    }
    this.#dirty.clear();
  }
}

function healthOf(peer: Peer): SharedHealth {
  return {
    healthy: peer.healthy,
    checkFails: peer.checkFails,
    checkPasses: peer.checkPasses,
    lastCheckAt: peer.lastCheckAt,
    lastCheckStatus: peer.lastCheckStatus,
    lastCheckError: peer.lastCheckError,
  };
}

import type { SharedHealth, SharedPeerState, ZoneEvent, ZoneUpdate } from './messages';

/** Where a zone update goes: every worker, or every worker but one. */
export type Delivery =
  | { to: 'all'; message: ZoneUpdate }
  | { to: 'others'; except: number; message: ZoneUpdate }
  | { to: 'one'; worker: number; message: ZoneUpdate };

/**
 * The primary's side of upstream zones: the shared peer state, counted here in the order the
 * workers' events arrive (the primary is the one sequencer, as nginx's zone lock is), and what
 * to send back. Keyed by upstream name and peer id, so it outlives reloads as peers do.
 */
export class ZoneStore {
  readonly #peers = new Map<string, SharedPeerState>();
  readonly #health = new Map<string, SharedHealth>();
  /** Requests in flight per worker, upstream and peer id. */
  readonly #conns = new Map<number, Map<string, Record<string, number>>>();
  /** Workers that took their snapshot and have not exited. */
  readonly #live = new Set<number>();

  /** Applies a worker's event; returns the updates to send. */
  handle(worker: number, event: ZoneEvent): Delivery[] {
    switch (event.type) {
      case 'tenk:zone-fail': {
        const state = this.#peer(event.upstream, event.peer);
        state.fails++;
        state.accessedAt = event.at;
        state.checkedAt = event.at;
        return [this.#peerUpdate(event.upstream, event.peer, state)];
      }
      case 'tenk:zone-ok': {
        const state = this.#peer(event.upstream, event.peer);
        state.fails = 0;
        return [this.#peerUpdate(event.upstream, event.peer, state)];
      }
      case 'tenk:zone-trial': {
        const state = this.#peer(event.upstream, event.peer);
        state.checkedAt = Math.max(state.checkedAt, event.at);
        return [this.#peerUpdate(event.upstream, event.peer, state)];
      }
      case 'tenk:zone-recover': {
        const updates: Delivery[] = [];
        for (const [key, state] of this.#peers) {
          const [upstream, peer] = splitKey(key);
          if (upstream !== event.upstream || state.fails === 0) continue;
          state.fails = 0;
          updates.push(this.#peerUpdate(upstream, peer, state));
        }
        return updates;
      }
      case 'tenk:zone-health': {
        const key = keyOf(event.upstream, event.peer);
        const was = this.#health.get(key);
        this.#health.set(key, event.health);
        const updates: Delivery[] = [
          {
            to: 'others',
            except: worker,
            message: { type: 'tenk:zone-health-state', upstream: event.upstream, peer: event.peer, health: event.health },
          },
        ];
        // Back in rotation: a clean slate for passive health too (the checking worker did the same).
        if (event.health.healthy && was !== undefined && !was.healthy) {
          const state = this.#peer(event.upstream, event.peer);
          state.fails = 0;
          updates.push(this.#peerUpdate(event.upstream, event.peer, state));
        }
        return updates;
      }
      case 'tenk:zone-conns': {
        let byUpstream = this.#conns.get(worker);
        if (byUpstream === undefined) this.#conns.set(worker, (byUpstream = new Map()));
        byUpstream.set(event.upstream, event.conns);
        return this.#othersFor(event.upstream, worker);
      }
    }
  }

  /** A worker exited: its requests in flight are gone; the others hear so. */
  workerGone(worker: number): Delivery[] {
    const byUpstream = this.#conns.get(worker);
    this.#conns.delete(worker);
    this.#live.delete(worker);
    return [...(byUpstream?.keys() ?? [])].flatMap((upstream) => this.#othersFor(upstream, worker));
  }

  /** Everything a worker that just started needs to share the zone's state. */
  snapshot(worker: number): Delivery[] {
    this.#live.add(worker);
    const updates: Delivery[] = [];
    const upstreams = new Set([...this.#conns.values()].flatMap((byUpstream) => [...byUpstream.keys()]));
    for (const upstream of upstreams)
      updates.push({ to: 'one', worker, message: { type: 'tenk:zone-others', upstream, conns: this.#sumExcept(upstream, worker) } });
    for (const [key, state] of this.#peers) {
      const [upstream, peer] = splitKey(key);
      updates.push({ to: 'one', worker, message: { type: 'tenk:zone-peer', upstream, peer, state: { ...state } } });
    }
    for (const [key, health] of this.#health) {
      const [upstream, peer] = splitKey(key);
      updates.push({ to: 'one', worker, message: { type: 'tenk:zone-health-state', upstream, peer, health } });
    }
    return updates;
  }

  /** The other workers' requests in flight, summed, for every worker but `changed` (whose count moved). */
  #othersFor(upstream: string, changed: number): Delivery[] {
    const updates: Delivery[] = [];
    for (const worker of this.#live) {
      if (worker === changed) continue;
      updates.push({ to: 'one', worker, message: { type: 'tenk:zone-others', upstream, conns: this.#sumExcept(upstream, worker) } });
    }
    return updates;
  }

  #sumExcept(upstream: string, except: number): Record<string, number> {
    const sum: Record<string, number> = {};
    for (const [worker, byUpstream] of this.#conns) {
      if (worker === except) continue;
      for (const [peer, conns] of Object.entries(byUpstream.get(upstream) ?? {})) sum[peer] = (sum[peer] ?? 0) + conns;
    }
    return sum;
  }

  #peer(upstream: string, peer: string): SharedPeerState {
    const key = keyOf(upstream, peer);
    let state = this.#peers.get(key);
    if (state === undefined) this.#peers.set(key, (state = { fails: 0, accessedAt: 0, checkedAt: 0 }));
    return state;
  }

  #peerUpdate(upstream: string, peer: string, state: SharedPeerState): Delivery {
    return { to: 'all', message: { type: 'tenk:zone-peer', upstream, peer, state: { ...state } } };
  }
}

function keyOf(upstream: string, peer: string): string {
  return `${upstream}\n${peer}`;
}

function splitKey(key: string): [string, string] {
  const newline = key.indexOf('\n');
  return [key.slice(0, newline), key.slice(newline + 1)];
}

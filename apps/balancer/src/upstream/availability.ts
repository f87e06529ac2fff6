import type { Peer } from './peer';

/**
 * The one availability check every algorithm uses (nginx writes it once in round_robin.c):
 * not `down`, not failed by the active health check, not within fail_timeout of reaching
 * max_fails, not at max_conns.
 */
export function isAvailable(peer: Peer, now: number, single: boolean): boolean {
  if (peer.down || !peer.healthy) return false;
  if (!single && peer.maxFails !== 0 && peer.fails >= peer.maxFails && now - peer.checkedAt <= peer.failTimeoutMs) return false;
  if (peer.maxConns !== 0 && peer.conns + peer.otherConns >= peer.maxConns) return false;
  return true;
}

/** At max_conns and otherwise usable: a request may wait for it (`queue`), or is refused with 503. */
export function isBusy(peer: Peer, now: number, single: boolean): boolean {
  if (peer.maxConns === 0 || peer.conns + peer.otherConns < peer.maxConns || peer.down || !peer.healthy) return false;
  return single || peer.maxFails === 0 || peer.fails < peer.maxFails || now - peer.checkedAt > peer.failTimeoutMs;
}

/** Why a peer is unavailable, for the status page; null when it is available. */
export function unavailableReason(peer: Peer, now: number, single: boolean): string | null {
  if (peer.down) return 'down (config)';
  if (!peer.healthy) return 'failed health check';
  if (!single && peer.maxFails !== 0 && peer.fails >= peer.maxFails && now - peer.checkedAt <= peer.failTimeoutMs)
    return 'failing (max_fails)';
  if (peer.maxConns !== 0 && peer.conns + peer.otherConns >= peer.maxConns) return 'busy (max_conns)';
  return null;
}

/** Book-keeping when a peer is handed a request: one trial per fail_timeout after failures. */
export function acquirePeer(peer: Peer, now: number): void {
  if (now - peer.checkedAt > peer.failTimeoutMs) peer.checkedAt = now;
  peer.conns++;
  peer.requests++;
}

/**
 * Book-keeping when an attempt ends (nginx's free_peer): a failure counts against the peer
 * and lowers its effective weight; a success after a trial clears the failures.
 * Returns true when this failure took the peer out (reached max_fails).
 */
export function releasePeer(peer: Peer, failed: boolean, now: number): boolean {
  peer.conns--;
  if (!failed) {
    if (peer.accessedAt < peer.checkedAt) peer.fails = 0;
    return false;
  }
  peer.failures++;
  peer.fails++;
  peer.accessedAt = now;
  peer.checkedAt = now;
  let ejected = false;
  if (peer.maxFails !== 0) {
    peer.effectiveWeight -= Math.floor(peer.weight / peer.maxFails);
    if (peer.fails === peer.maxFails) {
      peer.ejections++;
      ejected = true;
    }
  }
  if (peer.effectiveWeight < 0) peer.effectiveWeight = 0;
  return ejected;
}

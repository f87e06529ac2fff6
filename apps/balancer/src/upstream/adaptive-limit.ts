import type { AdaptiveConfig } from '../config/schema';
import type { Peer } from './peer';

/** How often each peer's limit is reconsidered. */
export const ADAPTIVE_INTERVAL_MS = 100;
/** Fewer answers than this in an interval say too little about a peer's response time. */
const MIN_SAMPLES = 5;

interface PeerLimit {
  peer: Peer;
  /** The peer's configured max_conns: the limit never goes above it. */
  ceiling: number;
  /** The peer's latency totals at the last look (its LatencyRecorder's count and sum). */
  count: number;
  sumSeconds: number;
  /** After a decrease, wait this long (one response time) before judging again. */
  holdUntil: number;
}

/**
 * `adaptive_concurrency target=T min=N` (tenk's own; Envoy's adaptive concurrency and Netflix's
 * concurrency-limits do the same with other rules): each peer's max_conns becomes a ceiling,
 * and its working limit (peer.maxConns, which every availability check already reads) moves
 * under it by the peer's mean response time over the last interval, an AIMD with a gradient:
 *
 * - slower than T: the limit shrinks in proportion (limit x T / mean, at most by half), then
 *   holds for one response time, so answers to requests sent under the old limit are not
 *   counted against the new one;
 * - faster than T and in use (at least half its limit in flight, or someone waiting in the
 *   queue): it grows by one, or by an eighth while under T/2.
 *
 * When an instance slows (a noisy neighbour takes its core), its limit falls to what it
 * serves within T (Little's law: limit = throughput x response time), the rest wait in the
 * queue or are refused at once, and it climbs back when the instance speeds up again. Reads
 * only what the proxy records anyway (peer.latency); nothing runs per request.
 */
export class AdaptiveLimit {
  readonly config: AdaptiveConfig;
  readonly #peers: PeerLimit[];
  readonly #waiting: () => boolean;
  #timer: NodeJS.Timeout | null = null;
  /** Decreases and increases so far (status page, metrics). */
  decreases = 0;
  increases = 0;

  /** `waiting`: whether requests wait in the upstream's queue (the limit is in use). */
  constructor(config: AdaptiveConfig, peers: readonly Peer[], waiting: () => boolean) {
    this.config = config;
    this.#waiting = waiting;
    this.#peers = peers
      .filter((peer) => peer.maxConns > 0)
      .map((peer) => ({ peer, ceiling: peer.maxConns, count: peer.latency.count, sumSeconds: peer.latency.sumSeconds, holdUntil: 0 }));
  }

  start(): void {
    if (this.#timer !== null) return;
    this.#timer = setInterval(() => this.tick(performance.now()), ADAPTIVE_INTERVAL_MS);
    this.#timer.unref();
  }

  /** Stops adjusting and gives every peer its configured max_conns back. */
  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    for (const entry of this.#peers) entry.peer.maxConns = entry.ceiling;
  }

  /** The configured ceiling of `peer`, or 0 when the limit does not govern it. */
  ceilingOf(peer: Peer): number {
    return this.#peers.find((entry) => entry.peer === peer)?.ceiling ?? 0;
  }

  /** One look at every peer (the timer's; tests call it with their own clock). */
  tick(now: number): void {
    const { targetMs, min } = this.config;
    const waiting = this.#waiting();
    for (const entry of this.#peers) {
      const { peer } = entry;
      const count = peer.latency.count - entry.count;
      const seconds = peer.latency.sumSeconds - entry.sumSeconds;
      if (now < entry.holdUntil) {
        // Answers to requests sent under the old limit: not this limit's doing.
        this.#mark(entry);
        continue;
      }
      if (count < MIN_SAMPLES) continue;
      this.#mark(entry);
      const meanMs = (seconds * 1000) / count;
      const limit = peer.maxConns;
      let next = limit;
      if (meanMs > targetMs) {
        next = Math.max(min, Math.floor(limit * Math.max(0.5, targetMs / meanMs)));
        entry.holdUntil = now + meanMs;
      } else if (peer.conns * 2 >= limit || waiting) {
        next = Math.min(entry.ceiling, limit + (meanMs < targetMs / 2 ? Math.max(1, Math.floor(limit / 8)) : 1));
      }
      if (next < limit) this.decreases++;
      if (next > limit) this.increases++;
      peer.maxConns = next;
    }
  }

  #mark(entry: PeerLimit): void {
    entry.count = entry.peer.latency.count;
    entry.sumSeconds = entry.peer.latency.sumSeconds;
  }
}

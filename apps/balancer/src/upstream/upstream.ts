import { performance } from 'node:perf_hooks';
import { ALGORITHMS, findAlgorithm, type AlgorithmDefinition, type Attempt, type LoadBalancer } from '../algorithms';
import type { UpstreamConfig } from '../config/schema';
import { formatHostPort } from '../config/values';
import type { Logger } from '../observability/logger';
import { AdaptiveLimit } from './adaptive-limit';
import { AdmissionQueue } from './admission-queue';
import { acquirePeer, isAvailable, isBusy, releasePeer } from './availability';
import { Peer, PeerGroup } from './peer';
import { RefusalAnswers } from './refusal-answers';
import { IdleBudget, PeerPool } from './peer-pool';
import type { SharedPeerBook } from './shared-book';

/**
 * An upstream block at run time: its peers (primaries, then backups), the algorithm that
 * picks among them, and one connection pool per peer (peer-pool.ts). `pick` and `release` are the
 * whole interface the proxy uses (nginx's get/free), and the book-keeping around them is
 * here, once, whatever the algorithm.
 */
export class Upstream {
  readonly name: string;
  readonly config: UpstreamConfig;
  /** Primaries then backups; peer.index is the position here. */
  readonly peers: readonly Peer[];
  readonly primaries: PeerGroup;
  readonly backups: PeerGroup;
  /** Whether upstream connections are reused (`keepalive`); without it each request gets its own, as in nginx. */
  readonly reuseConnections: boolean;
  #balancer: LoadBalancer;
  #algorithm: AlgorithmDefinition;
  readonly #logger: Logger;
  readonly #poolKey: string;
  readonly #budget: IdleBudget;
  /** Requests answered 502 because no peer could take them. */
  noLivePeers = 0;
  /** Attempts passed on to another peer (proxy_next_upstream). */
  retries = 0;
  /** Times every peer was unusable and their failure counts were reset (nginx's quick recovery). */
  recoveries = 0;
  /**
   * `queue N timeout=T`: where requests wait when every usable peer is at max_conns; null
   * without the directive (they are refused at once).
   */
  readonly queue: AdmissionQueue | null;
  /** Requests refused with 503 because every usable peer was at max_conns and there is no queue. */
  refusedAtCapacity = 0;
  /** The 503 bodies admission control answers with, built once. */
  readonly refusals: RefusalAnswers;
  /** `adaptive_concurrency`: moves each peer's limit under its max_conns; null without it. */
  readonly adaptive: AdaptiveLimit | null;
  #admitting = false;
  /**
   * With several workers and a `zone`: where peer state shared with the other workers is
   * reported (cluster/zone-sync.ts); null otherwise (one check on the hot path).
   */
  readonly shared: SharedPeerBook | null;
  /**
   * Whether the requests in flight are shared too: only when something reads them (least_conn,
   * random two, max_conns); round-robin without max_conns sends no message per event-loop turn.
   */
  #sharesInFlight = false;

  constructor(config: UpstreamConfig, previous: Upstream | null, logger: Logger, book: SharedPeerBook | null = null) {
    this.name = config.name;
    this.shared = config.zone === null ? null : book;
    this.config = config;
    this.#logger = logger;
    // First, so the peers kept below get their configured max_conns back before reconfiguring.
    previous?.adaptive?.stop();
    this.reuseConnections = config.keepalive !== null;
    const reusable = new Map((previous?.peers ?? []).map((peer) => [peer.id, peer]));
    const ordered = [...config.servers.filter((server) => !server.backup), ...config.servers.filter((server) => server.backup)];
    const poolKey = `${config.keepalive}|${config.keepaliveTimeoutMs}|${config.keepaliveRequests}|${config.keepaliveTimeMs}|${config.connectTimeoutMs}`;
    // Without `keepalive`, nginx opens a connection per request; tenk keeps none idle. Pools
    // kept from the previous configuration share its budget, so the limit stays one number.
    const budget = previous !== null && previous.#poolKey === poolKey ? previous.#budget : new IdleBudget(config.keepalive ?? 0);
    this.#poolKey = poolKey;
    this.#budget = budget;
    this.peers = ordered.map((server, index) => {
      const kept = reusable.get(server.id);
      const peer = kept && kept.host === server.host && kept.port === server.port ? kept : new Peer(config.name, server);
      if (peer === kept) peer.reconfigure(server);
      peer.index = index;
      if (peer.pool === null || peer.poolKey !== poolKey) {
        // A changed pool setting gets a new pool; the old one closes once its requests finish.
        void peer.pool?.close();
        peer.pool = createPool(peer, config, budget);
        peer.poolKey = poolKey;
      }
      if (config.healthCheck?.mandatory && peer !== kept) peer.healthy = false;
      if (!config.healthCheck) peer.healthy = true;
      return peer;
    });
    const primaries = this.peers.filter((peer) => !peer.backup);
    const backups = this.peers.filter((peer) => peer.backup);
    this.primaries = new PeerGroup(primaries, primaries.length === 1 && backups.length === 0);
    this.backups = new PeerGroup(backups, false);
    const algorithm = findAlgorithm(config.method.name);
    if (!algorithm) throw new Error(`upstream "${config.name}": unknown algorithm "${config.method.name}"`);
    this.#algorithm = algorithm;
    this.#balancer = algorithm.create(config.method.args, this.primaries);
    this.#sharesInFlight = this.#readsInFlight();
    this.queue = config.queue === null ? null : new AdmissionQueue(config.queue.size, config.queue.timeoutMs);
    this.refusals = new RefusalAnswers(config);
    this.queue?.onTick(() => this.#admitWaiting(Date.now()));
    this.adaptive = config.adaptive === null ? null : new AdaptiveLimit(config.adaptive, this.peers, () => (this.queue?.length ?? 0) > 0);
    this.adaptive?.start();
  }

  #readsInFlight(): boolean {
    return this.shared !== null && (this.#balancer.readsInFlight || this.peers.some((peer) => peer.maxConns !== 0));
  }

  get balancer(): LoadBalancer {
    return this.#balancer;
  }

  get algorithm(): AlgorithmDefinition {
    return this.#algorithm;
  }

  /**
   * A peer for the attempt (primaries first, backups when no primary is usable), marked
   * tried and counted as busy; null when none is usable.
   */
  pick(attempt: Attempt, now: number): Peer | null {
    let peer = this.#balancer.pick(this.primaries, attempt, now);
    if (peer === null && this.backups.peers.length > 0 && this.#algorithm.supportsBackup)
      peer = this.#balancer.pick(this.backups, attempt, now);
    if (peer === null) {
      this.#recover();
      return null;
    }
    attempt.markTried(peer.index);
    attempt.tries++;
    const shared = this.shared;
    if (shared === null) {
      acquirePeer(peer, now);
      return peer;
    }
    const checkedAt = peer.checkedAt;
    acquirePeer(peer, now);
    if (peer.fails !== 0 && peer.checkedAt !== checkedAt) shared.trial(this, peer, now);
    if (this.#sharesInFlight) shared.connsChanged(this);
    return peer;
  }

  /**
   * No peer could take a request: as nginx ("all peers failed, mark them as live for quick
   * recovery", in round-robin and least_conn alike, and so in every algorithm that falls back
   * to them), every peer's failure count is reset. This request still gets its 502; the next
   * ones are sent to the peers again, instead of being refused for fail_timeout by a balancer
   * that took every peer out while they were merely slow. Peers that are `down` or failing
   * their active health check stay out: those verdicts are not the failure count's.
   */
  #recover(): void {
    let reset = 0;
    const peers = this.peers;
    for (let i = 0; i < peers.length; i++) {
      const peer = peers[i];
      if (peer.fails !== 0) {
        peer.fails = 0;
        reset++;
      }
    }
    if (reset === 0) return;
    this.recoveries++;
    this.shared?.recovered(this);
    this.#logger.warn('every peer was unusable: failure counts reset so the next requests try them again (nginx quick recovery)', {
      upstream: this.name,
      peers: reset,
    });
  }

  /** Ends an attempt on `peer`, reporting whether it failed (passive health). */
  release(peer: Peer, failed: boolean, now: number): void {
    const fails = peer.fails;
    const ejected = releasePeer(peer, failed, now);
    const shared = this.shared;
    if (shared !== null) {
      if (failed) shared.failed(this, peer, now);
      else if (fails !== 0 && peer.fails === 0) shared.cleared(this, peer);
      if (this.#sharesInFlight) shared.connsChanged(this);
    }
    // A slot is free: the oldest waiter (if any) gets it. One length check when nobody waits.
    if (this.queue !== null && this.queue.length > 0) this.#admitWaiting(now);
    if (ejected) {
      this.#logger.warn('peer taken out after failures', {
        upstream: this.name,
        peer: peer.id,
        fails: peer.fails,
        max_fails: peer.maxFails,
        fail_timeout_ms: peer.failTimeoutMs,
      });
    }
  }

  /**
   * No peer could be picked: is that because usable peers are at max_conns (the request may
   * wait, or is refused with 503), rather than because they are down or failing (502)?
   */
  isAtCapacity(now: number): boolean {
    const peers = this.peers;
    for (let i = 0; i < peers.length; i++) {
      const peer = peers[i];
      if (isBusy(peer, now, !peer.backup && this.primaries.single)) return true;
    }
    return false;
  }

  /** Requests in flight to all peers, and the sum of their max_conns (0: some peer is unlimited). */
  inFlight(): { inFlight: number; limit: number } {
    let inFlight = 0;
    let limit = 0;
    let unlimited = false;
    for (const peer of this.peers) {
      inFlight += peer.conns;
      if (peer.down) continue;
      if (peer.maxConns === 0) unlimited = true;
      limit += peer.maxConns;
    }
    return { inFlight, limit: unlimited ? 0 : limit };
  }

  /** Admits waiters while a peer can take one (each admitted request picks, and books, at once). */
  #admitWaiting(now: number): void {
    const queue = this.queue;
    if (queue === null || this.#admitting) return;
    this.#admitting = true;
    try {
      const monotonic = performance.now();
      // At most one pass over the queue: a waiter that still finds no peer joins it again.
      for (let n = queue.length; n > 0 && this.hasAvailablePeer(now); n--) {
        if (!queue.admitNext(monotonic)) break;
      }
    } finally {
      this.#admitting = false;
    }
  }

  /** Whether `peer` could take a request now (status page, metrics). */
  isPeerAvailable(peer: Peer, now: number): boolean {
    // `single` (one primary, no backups) can only be true for a primary.
    return isAvailable(peer, now, this.primaries.single);
  }

  /** Whether any peer could take a request now (for the status page). */
  hasAvailablePeer(now: number): boolean {
    return this.peers.some((peer) => this.isPeerAvailable(peer, now));
  }

  /**
   * Switches the algorithm at run time (admin API). Returns what is wrong, or null.
   * Lasts until the next reload, which goes back to what the file says.
   */
  switchAlgorithm(name: string, args: readonly string[]): string | null {
    const algorithm = findAlgorithm(name);
    if (!algorithm) return `unknown algorithm "${name}" (known: ${ALGORITHMS.map((a) => a.name).join(', ')})`;
    if (args.length > algorithm.maxArgs) return `${name} takes at most ${algorithm.maxArgs} arguments`;
    const problem = algorithm.validate(args);
    if (problem) return `${name}: ${problem}`;
    if (!algorithm.supportsBackup && this.backups.peers.length > 0)
      return `${name} cannot be used with backup servers (upstream "${this.name}" has ${this.backups.peers.length})`;
    this.#algorithm = algorithm;
    this.#balancer = algorithm.create(args, this.primaries);
    this.#sharesInFlight = this.#readsInFlight();
    for (const peer of this.peers) {
      peer.currentWeight = 0;
      peer.effectiveWeight = peer.weight;
    }
    return null;
  }
}

function createPool(peer: Peer, config: UpstreamConfig, budget: IdleBudget): PeerPool {
  return new PeerPool(
    `http://${formatHostPort(peer)}`,
    {
      connectTimeoutMs: config.connectTimeoutMs,
      keepAliveTimeoutMs: config.keepaliveTimeoutMs,
      maxRequestsPerConnection: config.keepaliveRequests,
      maxAgeMs: config.keepaliveTimeMs,
    },
    budget,
  );
}

import type { PeerConfig } from '../config/schema';
import { LatencyRecorder } from './latency-recorder';
import type { PeerPool } from './peer-pool';

/**
 * One upstream server. Plain data, as nginx's ngx_http_upstream_rr_peer_t: settings, the
 * balancing and health state the algorithms read, and counters for the status page. Every
 * field is set in the constructor, so all peers share one shape. A Peer outlives reloads
 * that keep its upstream and address, so in-flight requests release into the live object.
 */
export class Peer {
  readonly upstream: string;
  /** The address as written (`127.0.0.1:3001`). */
  readonly address: string;
  /** The peer's identity: the address, or `address#2` for a second server line with the same address. */
  readonly id: string;
  readonly host: string;
  readonly port: number;
  /** Position in its upstream (primaries, then backups): its bit in a request's tried set. */
  index = 0;

  weight: number;
  maxFails: number;
  failTimeoutMs: number;
  /** 0 = unlimited. */
  maxConns: number;
  backup: boolean;
  /** `down` in the config: never picked. */
  down: boolean;

  /** Smooth weighted round-robin state. */
  currentWeight = 0;
  effectiveWeight: number;

  /** Requests (and tunnels) in flight to this peer from this process. */
  conns = 0;
  /**
   * With several workers and a `zone`: requests in flight to it from the other workers, as the
   * primary last reported (least_conn and max_conns count both); 0 otherwise.
   */
  otherConns = 0;
  /** Failed attempts since the last success (passive health). */
  fails = 0;
  /** When the last failure happened (ms since epoch). */
  accessedAt = 0;
  /** When the peer was last let through after failures: one trial per fail_timeout. */
  checkedAt = 0;

  /** Active health: false once health_check has failed `fails` times in a row. */
  healthy = true;
  checkFails = 0;
  checkPasses = 0;
  lastCheckAt = 0;
  /** Status of the last check, 0 when it failed before a response. */
  lastCheckStatus = 0;
  lastCheckError = '';

  requests = 0;
  /** Attempts that failed (connect errors, timeouts, failing statuses per proxy_next_upstream). */
  failures = 0;
  /** Responses by status class: index 1 = 1xx ... 5 = 5xx. */
  readonly responses = new Float64Array(6);
  bytesSent = 0;
  /** How many times passive health took the peer out (reached max_fails). */
  ejections = 0;
  /** 503 answers with Retry-After: the peer was busy (never counted as a failure). */
  busyAnswers = 0;
  /** Requests it did not answer within proxy_read_timeout (counted as failures only with fail_on_read_timeout on). */
  readTimeouts = 0;
  readonly latency = new LatencyRecorder();

  /** Connections to this peer, set by its Upstream. */
  pool: PeerPool | null = null;
  /** The settings `pool` was made with: a reload that changes them gets a new pool. */
  poolKey = '';

  constructor(upstream: string, config: PeerConfig) {
    this.upstream = upstream;
    this.address = config.address;
    this.id = config.id;
    this.host = config.host;
    this.port = config.port;
    this.weight = config.weight;
    this.maxFails = config.maxFails;
    this.failTimeoutMs = config.failTimeoutMs;
    this.maxConns = config.maxConns;
    this.backup = config.backup;
    this.down = config.down;
    this.effectiveWeight = config.weight;
  }

  /** Takes new settings from a reloaded configuration, keeping state and counters. */
  reconfigure(config: PeerConfig): void {
    if (config.weight !== this.weight) {
      this.effectiveWeight = config.weight;
      this.currentWeight = 0;
    }
    this.weight = config.weight;
    this.maxFails = config.maxFails;
    this.failTimeoutMs = config.failTimeoutMs;
    this.maxConns = config.maxConns;
    this.backup = config.backup;
    this.down = config.down;
  }
}

/** The peers one algorithm picks among: an upstream's primaries, or its backups. */
export class PeerGroup {
  readonly peers: readonly Peer[];
  readonly totalWeight: number;
  /**
   * One primary and no backups: as nginx, its failures never take it out (there is nowhere
   * else to go, and refusing every request for fail_timeout helps nobody).
   */
  readonly single: boolean;

  constructor(peers: readonly Peer[], single: boolean) {
    this.peers = peers;
    this.totalWeight = peers.reduce((total, peer) => total + peer.weight, 0);
    this.single = single;
  }
}

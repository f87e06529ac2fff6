import type { Peer } from './peer';
import type { Upstream } from './upstream';

/**
 * Where an upstream with a `zone` reports the state its workers share (worker_processes N):
 * the worker's side of cluster/zone-sync.ts. Null on every upstream without a zone, and in a
 * single-process balancer, where one process's state is already everything.
 */
export interface SharedPeerBook {
  /** This worker's requests in flight to the upstream's peers changed (coalesced per event-loop turn). */
  connsChanged(upstream: Upstream): void;
  /** An attempt on `peer` failed (passive health). */
  failed(upstream: Upstream, peer: Peer, at: number): void;
  /** A success after a trial cleared the peer's failures. */
  cleared(upstream: Upstream, peer: Peer): void;
  /** The one trial per fail_timeout was handed to this worker. */
  trial(upstream: Upstream, peer: Peer, at: number): void;
  /** Every peer was unusable and their failure counts were reset (quick recovery). */
  recovered(upstream: Upstream): void;
  /** An active health check of `peer` ended (only the worker that runs them reports). */
  checked(upstream: Upstream, peer: Peer): void;
  /** Whether this worker runs the upstream's active health checks (one worker per zone does). */
  runsHealthChecks(upstream: Upstream): boolean;
}

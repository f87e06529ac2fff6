import type { AdminAnswer, AlgorithmChange } from '../admin/admin-server';
import type { BalancerStatus } from '../admin/status';

/**
 * What the primary and its workers say to each other over node:cluster's IPC channel (one
 * ordered pipe per worker). Requests carry an id; the worker answers with a `tenk:reply`
 * carrying the same id. Zone messages (zone-sync.ts) have no reply.
 */
export type PrimaryRequest =
  | { type: 'tenk:status'; id: number }
  | { type: 'tenk:reload'; id: number }
  | { type: 'tenk:algorithm'; id: number; upstream: string; change: AlgorithmChange | null };

export type ReplyValue = BalancerStatus | string | null | AdminAnswer;

export interface WorkerReply {
  type: 'tenk:reply';
  id: number;
  value: ReplyValue;
}

/** A worker tells the primary it listens (after its first configuration is applied). */
export interface WorkerReady {
  type: 'tenk:ready';
  listen: string[];
}

/** Passive health and trial book-keeping of one peer, as the primary keeps it for a zone. */
export interface SharedPeerState {
  fails: number;
  accessedAt: number;
  checkedAt: number;
}

/** The active health check's verdict on one peer (the checking worker's, shared). */
export interface SharedHealth {
  healthy: boolean;
  checkFails: number;
  checkPasses: number;
  lastCheckAt: number;
  lastCheckStatus: number;
  lastCheckError: string;
}

/** Worker -> primary: what happened to a zoned peer in this worker. */
export type ZoneEvent =
  | { type: 'tenk:zone-fail'; upstream: string; peer: string; at: number }
  | { type: 'tenk:zone-ok'; upstream: string; peer: string }
  | { type: 'tenk:zone-trial'; upstream: string; peer: string; at: number }
  | { type: 'tenk:zone-recover'; upstream: string }
  | { type: 'tenk:zone-health'; upstream: string; peer: string; health: SharedHealth }
  /** Requests in flight from this worker to each peer of the upstream, by peer id (sent at most once per event-loop turn). */
  | { type: 'tenk:zone-conns'; upstream: string; conns: Record<string, number> };

/** Primary -> worker: the shared state to adopt. */
export type ZoneUpdate =
  | { type: 'tenk:zone-peer'; upstream: string; peer: string; state: SharedPeerState }
  | { type: 'tenk:zone-health-state'; upstream: string; peer: string; health: SharedHealth }
  /** Requests in flight to each peer from the other workers. */
  | { type: 'tenk:zone-others'; upstream: string; conns: Record<string, number> };

export type WorkerMessage = WorkerReply | WorkerReady | ZoneEvent;
export type PrimaryMessage = PrimaryRequest | ZoneUpdate;

/** Whether an IPC message is one of tenk's (prom-client's metrics requests share the channel). */
export function isTenkMessage(message: unknown): message is { type: string } {
  return typeof message === 'object' && message !== null && String((message as { type?: unknown }).type).startsWith('tenk:');
}

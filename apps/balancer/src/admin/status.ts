import { describeNextUpstream } from '../http/next-upstream';
import type { BalancerStats } from '../observability/stats';
import type { Generation } from '../runtime/generation';
import { unavailableReason } from '../upstream/availability';
import type { Peer } from '../upstream/peer';
import type { Upstream } from '../upstream/upstream';

export interface StatusSource {
  readonly generation: Generation;
  readonly stats: BalancerStats;
  readonly draining: boolean;
  readonly loadedAt: number;
  /** A public listener's address as bound (`host:port`), by its listen key. */
  listenerAddress(key: string): string;
  adminAddress(): string | null;
}

export type PeerState = 'up' | 'down' | 'unhealthy' | 'failing' | 'busy';

export interface PeerStatus {
  address: string;
  backup: boolean;
  state: PeerState;
  /** Why it is not up, in words; null when up. */
  reason: string | null;
  weight: number;
  effectiveWeight: number;
  maxFails: number;
  failTimeoutMs: number;
  maxConns: number;
  activeRequests: number;
  requests: number;
  failures: number;
  consecutiveFails: number;
  ejections: number;
  /** 503 + Retry-After answers (busy: retried elsewhere where http_503 is listed, never counted). */
  busyAnswers: number;
  /** Answers not received within proxy_read_timeout. */
  readTimeouts: number;
  responses: Record<'1xx' | '2xx' | '3xx' | '4xx' | '5xx', number>;
  bytesSent: number;
  latencyMs: { p50: number | null; p90: number | null; p99: number | null; samples: number };
  health: {
    healthy: boolean;
    lastCheckAt: string | null;
    lastCheckStatus: number;
    lastCheckError: string;
    checkFails: number;
    checkPasses: number;
  } | null;
}

/** Admission control of one upstream: max_conns, the queue, what was refused. */
export interface AdmissionStatus {
  /** Requests in flight to its peers now. */
  inFlight: number;
  /** Sum of the peers' max_conns; 0 when some peer is unlimited. */
  limit: number;
  /** Waiting for a peer (`queue`); null without a queue. */
  queue: {
    size: number;
    timeoutMs: number;
    waiting: number;
    joined: number;
    admitted: number;
    full: number;
    /** Refused at once: those waiting would not drain within the timeout at the recent pace. */
    tooLong: number;
    timedOut: number;
    abandoned: number;
    meanWaitMs: number | null;
  } | null;
  /** Refused with 503 at once: every usable peer at max_conns and no queue. */
  refusedAtCapacity: number;
  /** `adaptive_concurrency`: each peer's current limit under its max_conns; null when off. */
  adaptive: {
    targetMs: number;
    min: number;
    decreases: number;
    increases: number;
    peers: Array<{ address: string; limit: number; ceiling: number }>;
  } | null;
}

export interface UpstreamStatus {
  name: string;
  algorithm: string;
  algorithmName: string;
  declaredAt: string;
  keepalive: number | null;
  healthCheck: { uri: string; intervalMs: number; fails: number; passes: number; timeoutMs: number } | null;
  available: boolean;
  noLivePeers: number;
  retries: number;
  /** Times every peer was unusable and their failure counts were reset (nginx's quick recovery). */
  recoveries: number;
  failOnReadTimeout: boolean;
  admission: AdmissionStatus;
  peers: PeerStatus[];
}

export interface BalancerStatus {
  service: 'tenk-balancer';
  pid: number;
  node: string;
  startedAt: string;
  uptimeSeconds: number;
  draining: boolean;
  config: { file: string; files: string[]; loadedAt: string; reloads: number; reloadFailures: number; lastReloadError: string };
  listeners: Array<{
    address: string;
    servers: Array<{ names: string[]; locations: Array<{ location: string; handler: string; nextUpstream: string | null }> }>;
  }>;
  admin: string | null;
  requests: {
    total: number;
    active: number;
    responses: Record<'1xx' | '2xx' | '3xx' | '4xx' | '5xx', number>;
    rateLimited: number;
    rateDelayed: number;
    bodyTooLarge: number;
    badRequests: number;
    clientAborts: number;
    noLivePeers: number;
    atCapacity: number;
    upstreamErrors: number;
    upstreamTimeouts: number;
    retries: number;
  };
  connections: { open: number; total: number; websocketsActive: number; websocketsTotal: number };
  upstreams: UpstreamStatus[];
  zones: Array<{ name: string; key: string; ratePerSecond: number; keys: number; passed: number; delayed: number; rejected: number }>;
  memory: { rssBytes: number; heapUsedBytes: number };
  /**
   * worker_processes N (N > 1): the primary's summary of its workers; every other number in
   * the status is the workers' sum (cluster/merge-status.ts says how each is combined).
   * Absent with one process.
   */
  workers?: {
    processes: number;
    /** accept_mutex on: the primary accepts and hands connections round-robin; off: the kernel spreads accepts. */
    acceptMutex: boolean;
    /** Workers the primary started again after one exited. */
    restarts: number;
    list: WorkerStatus[];
  };
}

export interface WorkerStatus {
  index: number;
  pid: number;
  startedAt: string;
  requests: number;
  activeRequests: number;
  connections: number;
  rssBytes: number;
}

/** A snapshot of everything the status page, /status and the tests look at. */
export function buildStatus(source: StatusSource): BalancerStatus {
  const { generation, stats } = source;
  const now = Date.now();
  const memory = process.memoryUsage();
  return {
    service: 'tenk-balancer',
    pid: process.pid,
    node: process.version,
    startedAt: new Date(stats.startedAt).toISOString(),
    uptimeSeconds: Math.round((now - stats.startedAt) / 1000),
    draining: source.draining,
    config: {
      file: generation.config.file,
      files: generation.config.files,
      loadedAt: new Date(source.loadedAt).toISOString(),
      reloads: stats.reloads,
      reloadFailures: stats.reloadFailures,
      lastReloadError: stats.lastReloadError,
    },
    listeners: [...generation.routes.values()].map((route) => ({
      address: source.listenerAddress(route.key),
      servers: route.servers.map((server) => ({
        names: server.config.names,
        locations: server.locations.map((location) => ({
          location: location.config.label,
          handler: location.config.handler.kind === 'proxy' ? `proxy_pass ${location.config.handler.text}` : location.config.handler.kind,
          nextUpstream: location.kind === 'proxy' ? describeNextUpstream(location.nextUpstream) : null,
        })),
      })),
    })),
    admin: source.adminAddress(),
    requests: {
      total: stats.requests,
      active: stats.active,
      responses: byClass(stats.responses),
      rateLimited: stats.rateLimited,
      rateDelayed: stats.rateDelayed,
      bodyTooLarge: stats.bodyTooLarge,
      badRequests: stats.badRequests,
      clientAborts: stats.clientAborts,
      noLivePeers: stats.noLivePeers,
      atCapacity: stats.atCapacity,
      upstreamErrors: stats.upstreamErrors,
      upstreamTimeouts: stats.upstreamTimeouts,
      retries: stats.retries,
    },
    connections: {
      open: stats.connections,
      total: stats.connectionsTotal,
      websocketsActive: stats.websocketsActive,
      websocketsTotal: stats.websocketsTotal,
    },
    upstreams: [...generation.upstreams.values()].map((upstream) => upstreamStatus(upstream, now)),
    zones: [...generation.zones.values()].map((zone) => ({
      name: zone.name,
      key: zone.key.text,
      ratePerSecond: zone.rate,
      keys: zone.size,
      passed: zone.passed,
      delayed: zone.delayed,
      rejected: zone.rejected,
    })),
    memory: { rssBytes: memory.rss, heapUsedBytes: memory.heapUsed },
  };
}

export function upstreamStatus(upstream: Upstream, now = Date.now()): UpstreamStatus {
  const check = upstream.config.healthCheck;
  return {
    name: upstream.name,
    algorithm: upstream.balancer.description,
    algorithmName: upstream.balancer.name,
    declaredAt: `${upstream.config.file}:${upstream.config.line}`,
    keepalive: upstream.config.keepalive,
    healthCheck:
      check === null
        ? null
        : { uri: check.uri, intervalMs: check.intervalMs, fails: check.fails, passes: check.passes, timeoutMs: check.timeoutMs },
    available: upstream.hasAvailablePeer(now),
    noLivePeers: upstream.noLivePeers,
    retries: upstream.retries,
    recoveries: upstream.recoveries,
    failOnReadTimeout: upstream.config.failOnReadTimeout,
    admission: admissionStatus(upstream),
    peers: upstream.peers.map((peer) => peerStatus(peer, upstream, now)),
  };
}

function admissionStatus(upstream: Upstream): AdmissionStatus {
  const { inFlight, limit } = upstream.inFlight();
  const queue = upstream.queue;
  return {
    inFlight,
    limit,
    queue:
      queue === null
        ? null
        : {
            size: queue.capacity,
            timeoutMs: queue.timeoutMs,
            waiting: queue.length,
            joined: queue.joined,
            admitted: queue.admitted,
            full: queue.full,
            tooLong: queue.tooLong,
            timedOut: queue.timedOut,
            abandoned: queue.abandoned,
            meanWaitMs: queue.admitted === 0 ? null : round(queue.waitMsTotal / queue.admitted),
          },
    refusedAtCapacity: upstream.refusedAtCapacity,
    adaptive: adaptiveStatus(upstream),
  };
}

function adaptiveStatus(upstream: Upstream): AdmissionStatus['adaptive'] {
  const adaptive = upstream.adaptive;
  if (adaptive === null) return null;
  return {
    targetMs: adaptive.config.targetMs,
    min: adaptive.config.min,
    decreases: adaptive.decreases,
    increases: adaptive.increases,
    peers: upstream.peers
      .filter((peer) => adaptive.ceilingOf(peer) > 0)
      .map((peer) => ({ address: peer.address, limit: peer.maxConns, ceiling: adaptive.ceilingOf(peer) })),
  };
}

function peerStatus(peer: Peer, upstream: Upstream, now: number): PeerStatus {
  const reason = unavailableReason(peer, now, upstream.primaries.single);
  const [p50, p90, p99] = peer.latency.percentiles([50, 90, 99]);
  const hasCheck = upstream.config.healthCheck !== null;
  return {
    address: peer.id,
    backup: peer.backup,
    state: reason === null ? 'up' : peer.down ? 'down' : !peer.healthy ? 'unhealthy' : reason.startsWith('busy') ? 'busy' : 'failing',
    reason,
    weight: peer.weight,
    effectiveWeight: peer.effectiveWeight,
    maxFails: peer.maxFails,
    failTimeoutMs: peer.failTimeoutMs,
    maxConns: peer.maxConns,
    activeRequests: peer.conns,
    requests: peer.requests,
    failures: peer.failures,
    consecutiveFails: peer.fails,
    ejections: peer.ejections,
    busyAnswers: peer.busyAnswers,
    readTimeouts: peer.readTimeouts,
    responses: byClass(peer.responses),
    bytesSent: peer.bytesSent,
    latencyMs: { p50: round(p50), p90: round(p90), p99: round(p99), samples: peer.latency.samples },
    health: hasCheck
      ? {
          healthy: peer.healthy,
          lastCheckAt: peer.lastCheckAt === 0 ? null : new Date(peer.lastCheckAt).toISOString(),
          lastCheckStatus: peer.lastCheckStatus,
          lastCheckError: peer.lastCheckError,
          checkFails: peer.checkFails,
          checkPasses: peer.checkPasses,
        }
      : null,
  };
}

function byClass(counts: Float64Array): Record<'1xx' | '2xx' | '3xx' | '4xx' | '5xx', number> {
  return { '1xx': counts[1], '2xx': counts[2], '3xx': counts[3], '4xx': counts[4], '5xx': counts[5] };
}

function round(value: number | null): number | null {
  return value === null ? null : Math.round(value * 1000) / 1000;
}

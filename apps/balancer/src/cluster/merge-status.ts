import type { BalancerStatus, PeerStatus, UpstreamStatus, WorkerStatus } from '../admin/status';

/** Adds `b`'s numeric fields into a copy of `a`, key by key; other fields stay `a`'s. */
function sum<T extends object>(a: T, b: T): T {
  const out = { ...a } as Record<string, unknown>;
  for (const [key, value] of Object.entries(b)) if (typeof value === 'number') out[key] = ((out[key] as number | undefined) ?? 0) + value;
  return out as T;
}

/**
 * One status from the workers' (worker_processes N), as /status and the status page show it:
 * counters, requests in flight, connections and memory are summed; settings (weights,
 * max_conns, checks) are worker 0's; a peer is `up` only when it is up in every worker,
 * otherwise it shows the first other state with "in K of N workers"; consecutive failures
 * are the most any worker counts; latency percentiles are the highest of the workers' (each
 * worker keeps its own last 1024 responses per peer, and percentiles do not add up).
 */
export function mergeStatuses(
  statuses: readonly BalancerStatus[],
  primary: { pid: number; startedAt: number; restarts: number; acceptMutex: boolean; indexes: readonly number[] },
): BalancerStatus {
  const [first] = statuses;
  const merged: BalancerStatus = {
    ...first,
    pid: primary.pid,
    startedAt: new Date(primary.startedAt).toISOString(),
    uptimeSeconds: Math.round((Date.now() - primary.startedAt) / 1000),
    draining: statuses.some((status) => status.draining),
    config: {
      ...first.config,
      reloads: Math.max(...statuses.map((status) => status.config.reloads)),
      reloadFailures: Math.max(...statuses.map((status) => status.config.reloadFailures)),
    },
    requests: statuses.slice(1).reduce(
      (total, status) => ({
        ...sum(total, { ...status.requests, responses: {} as never }),
        responses: sum(total.responses, status.requests.responses),
      }),
      first.requests,
    ),
    connections: statuses.slice(1).reduce((total, status) => sum(total, status.connections), first.connections),
    upstreams: first.upstreams.map((upstream) =>
      mergeUpstream(
        upstream,
        statuses.map((status) => status.upstreams.find((u) => u.name === upstream.name)),
      ),
    ),
    zones: first.zones.map((zone) => {
      const all = statuses.flatMap((status) => status.zones.filter((z) => z.name === zone.name));
      return {
        ...zone,
        keys: total(all, (z) => z.keys),
        passed: total(all, (z) => z.passed),
        delayed: total(all, (z) => z.delayed),
        rejected: total(all, (z) => z.rejected),
      };
    }),
    memory: { rssBytes: total(statuses, (s) => s.memory.rssBytes), heapUsedBytes: total(statuses, (s) => s.memory.heapUsedBytes) },
    workers: {
      processes: statuses.length,
      acceptMutex: primary.acceptMutex,
      restarts: primary.restarts,
      list: statuses.map((status, i): WorkerStatus => ({
        index: primary.indexes[i],
        pid: status.pid,
        startedAt: status.startedAt,
        requests: status.requests.total,
        activeRequests: status.requests.active,
        connections: status.connections.open,
        rssBytes: status.memory.rssBytes,
      })),
    },
  };
  return merged;
}

function mergeUpstream(first: UpstreamStatus, all: ReadonlyArray<UpstreamStatus | undefined>): UpstreamStatus {
  const present = all.filter((upstream): upstream is UpstreamStatus => upstream !== undefined);
  const admission = first.admission;
  return {
    ...first,
    available: present.some((upstream) => upstream.available),
    noLivePeers: total(present, (u) => u.noLivePeers),
    retries: total(present, (u) => u.retries),
    recoveries: total(present, (u) => u.recoveries),
    admission: {
      ...admission,
      inFlight: total(present, (u) => u.admission.inFlight),
      refusedAtCapacity: total(present, (u) => u.admission.refusedAtCapacity),
      queue:
        admission.queue === null
          ? null
          : {
              ...present
                .slice(1)
                .reduce((queue, u) => (u.admission.queue === null ? queue : sum(queue, u.admission.queue)), admission.queue),
              size: admission.queue.size,
              timeoutMs: admission.queue.timeoutMs,
              meanWaitMs: admission.queue.meanWaitMs,
            },
    },
    peers: first.peers.map((peer) =>
      mergePeer(
        peer,
        present.map((u) => u.peers.find((p) => p.address === peer.address)),
      ),
    ),
  };
}

function mergePeer(first: PeerStatus, all: ReadonlyArray<PeerStatus | undefined>): PeerStatus {
  const present = all.filter((peer): peer is PeerStatus => peer !== undefined);
  const notUp = present.filter((peer) => peer.state !== 'up');
  const worst = notUp[0];
  const highest = (pick: (peer: PeerStatus) => number | null): number | null =>
    present.reduce<number | null>((max, peer) => {
      const value = pick(peer);
      return value === null ? max : max === null ? value : Math.max(max, value);
    }, null);
  return {
    ...first,
    state: worst?.state ?? 'up',
    reason:
      worst === undefined
        ? null
        : present.length === 1
          ? worst.reason
          : `${worst.reason} (in ${notUp.length} of ${present.length} workers)`,
    activeRequests: total(present, (p) => p.activeRequests),
    requests: total(present, (p) => p.requests),
    failures: total(present, (p) => p.failures),
    consecutiveFails: Math.max(...present.map((p) => p.consecutiveFails)),
    ejections: total(present, (p) => p.ejections),
    busyAnswers: total(present, (p) => p.busyAnswers),
    readTimeouts: total(present, (p) => p.readTimeouts),
    responses: present.slice(1).reduce((responses, p) => sum(responses, p.responses), first.responses),
    bytesSent: total(present, (p) => p.bytesSent),
    latencyMs: {
      p50: highest((p) => p.latencyMs.p50),
      p90: highest((p) => p.latencyMs.p90),
      p99: highest((p) => p.latencyMs.p99),
      samples: total(present, (p) => p.latencyMs.samples),
    },
  };
}

function total<T>(items: readonly T[], pick: (item: T) => number): number {
  let value = 0;
  for (const item of items) value += pick(item);
  return value;
}

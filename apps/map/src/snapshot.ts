import type { HostStatus } from '@tenk/contracts/api';
import type { SwitchStates } from '@tenk/switches';
import { ratePerSecond, type Scrape } from './prometheus-text';

/** What one collection round read from the running shop. */
export interface Readings {
  at: number;
  processes: Array<{ name: string; state: string; url: string; metrics?: Scrape }>;
  balancer?: BalancerReading;
  payment?: { up: boolean; faults?: Record<string, unknown> };
  infra: Record<InfraNode, boolean>;
  switches: SwitchStates;
  /** The hosts, when the shop runs on many (tools/hosts). */
  hosts?: HostReading[];
}

/** One host as the launcher's control API lists it (GET /hosts). */
export type HostReading = HostStatus;

/** A host on the map: its link to the bridge (cut both ways, one way, or up) and what runs there. */
export interface HostView {
  name: string;
  address: string;
  /** `up`, `cut` (both ways), `cut-in` (it hears nothing), `cut-out` (nothing it sends leaves), `absent`. */
  link: 'up' | 'cut' | 'cut-in' | 'cut-out' | 'absent';
  health: Health;
  services: string[];
}

export type InfraNode = 'postgres-primary' | 'postgres-replica' | 'redis-cache' | 'redis-queue' | 'kafka' | 'smtp-sink';

export interface BalancerReading {
  algorithm: string;
  requests: number;
  active: number;
  peers: Array<{ address: string; state: string; activeRequests: number; requests: number; p99: number | null }>;
}

export type Health = 'up' | 'degraded' | 'down';

export interface NodeView {
  id: string;
  health: Health;
  /** Short lines shown on the node. */
  lines: string[];
}

export interface EdgeView {
  id: string;
  from: string;
  to: string;
  /** Requests, calls or messages per second over the edge. */
  rate: number;
  label: string;
}

export interface Snapshot {
  at: string;
  nodes: NodeView[];
  edges: EdgeView[];
  switches: SwitchStates;
  algorithm: string | null;
  paymentFaults: Record<string, unknown> | null;
  processes: Array<{ name: string; state: string }>;
  /** The hosts and their links when the shop runs on many; null on one machine. */
  hosts: HostView[] | null;
  totals: {
    requestsPerSecond: number;
    cacheHitRatio: number | null;
    replicaLagSeconds: number | null;
    kafkaLag: number;
    queueDepth: number;
    openBreakers: string[];
  };
}

const BREAKER_STATE = ['closed', 'open', 'half-open'];

/**
 * Turns raw readings into the map's nodes and edges. Counters become rates against the previous
 * round's values (kept in `previous`, keyed by what they count).
 */
export class SnapshotBuilder {
  readonly #previous = new Map<string, number>();
  #previousAt = 0;

  build(readings: Readings): Snapshot {
    const seconds = this.#previousAt ? (readings.at - this.#previousAt) / 1000 : 0;
    const rate = (key: string, value: number) => {
      const result = ratePerSecond(this.#previous.get(key), value, seconds);
      this.#previous.set(key, value);
      return result;
    };
    this.#previousAt = readings.at;

    const nodes: NodeView[] = [];
    const edges: EdgeView[] = [];
    const apis = readings.processes.filter((process) => process.name.startsWith('api-'));
    const scrapes = apis.map((api) => api.metrics).filter((scrape): scrape is Scrape => scrape !== undefined);
    const sumApis = (name: string, where: Parameters<Scrape['sum']>[1] = {}) =>
      scrapes.reduce((total, scrape) => total + scrape.sum(name, where), 0);
    const byApis = (name: string, label: string, where: Parameters<Scrape['by']>[2] = {}) => {
      const groups: Record<string, number> = {};
      for (const scrape of scrapes)
        for (const [key, value] of Object.entries(scrape.by(name, label, where))) groups[key] = (groups[key] ?? 0) + value;
      return groups;
    };

    // The balancer and the api instances.
    const balancer = readings.balancer;
    const balancerProcess = readings.processes.find((process) => process.name === 'balancer');
    const totalRps = balancer ? rate('balancer:requests', balancer.requests) : 0;
    nodes.push({
      id: 'balancer',
      health: balancer ? (balancer.peers.some((peer) => peer.state !== 'up') ? 'degraded' : 'up') : 'down',
      lines: balancer
        ? [`${balancer.algorithm}`, `${fmt(totalRps)} req/s, ${balancer.active} active`]
        : [balancerProcess ? balancerProcess.state : 'not running'],
    });
    let requestsPerSecond = 0;
    for (const api of apis) {
      const port = api.url.split(':').pop() ?? '';
      const peer = balancer?.peers.find((candidate) => candidate.address.endsWith(`:${port}`));
      const served = api.metrics
        ? rate(
            `${api.name}:http`,
            api.metrics.sum('http_server_request_duration_seconds_count', {
              route: (route) => !route.startsWith('/health') && route !== '/metrics',
            }),
          )
        : 0;
      const errors = api.metrics
        ? rate(
            `${api.name}:5xx`,
            api.metrics.sum('http_server_request_duration_seconds_count', { status: (status) => status.startsWith('5') }),
          )
        : 0;
      requestsPerSecond += served;
      const health: Health = !api.metrics ? 'down' : peer && peer.state !== 'up' ? 'degraded' : 'up';
      nodes.push({
        id: api.name,
        health,
        lines: api.metrics ? [`${fmt(served)} req/s`, `${fmt(errors)} 5xx/s${peer ? `, ${peer.state}` : ''}`] : [api.state],
      });
      const peerRps = peer ? rate(`${api.name}:peer`, peer.requests) : 0;
      edges.push({
        id: `balancer->${api.name}`,
        from: 'balancer',
        to: api.name,
        rate: peerRps,
        label: `${fmt(peerRps)}/s${peer?.p99 != null ? ` p99 ${Math.round(peer.p99)} ms` : ''}`,
      });
    }

    // The cache.
    const lookups = byApis('tenk_cache_lookups_total', 'outcome');
    const hits = rate('cache:hits', (lookups['hit'] ?? 0) + (lookups['stale'] ?? 0) + (lookups['coalesced'] ?? 0));
    const misses = rate('cache:misses', lookups['miss'] ?? 0);
    const cacheHitRatio = hits + misses > 0 ? hits / (hits + misses) : null;
    const cacheBreakerOpen = scrapes.some((scrape) => scrape.sum('tenk_cache_redis_breaker_state') === 1);
    nodes.push({
      id: 'redis-cache',
      health: !readings.infra['redis-cache'] ? 'down' : cacheBreakerOpen || !readings.switches.cache ? 'degraded' : 'up',
      lines: [
        readings.switches.cache ? (cacheHitRatio === null ? 'no lookups' : `hit ratio ${(cacheHitRatio * 100).toFixed(0)}%`) : 'cache OFF',
        `${fmt(hits + misses)} lookups/s`,
      ],
    });
    for (const api of apis) edges.push({ id: `${api.name}->redis-cache`, from: api.name, to: 'redis-cache', rate: 0, label: '' });

    // The catalog: primary and replica.
    const reads = byApis('tenk_catalog_reads_total', 'target');
    const primaryReads = rate('reads:primary', reads['primary'] ?? 0);
    const replicaReads = rate('reads:replica', reads['replica'] ?? 0);
    const lagValues = scrapes
      .filter((scrape) => scrape.has('tenk_replica_lag_seconds'))
      .map((scrape) => scrape.sum('tenk_replica_lag_seconds'));
    const replicaLagSeconds = lagValues.length > 0 ? Math.max(...lagValues) : null;
    nodes.push({
      id: 'postgres-primary',
      health: readings.infra['postgres-primary'] ? 'up' : 'down',
      lines: [`${fmt(primaryReads)} catalog reads/s`],
    });
    nodes.push({
      id: 'postgres-replica',
      health: !readings.infra['postgres-replica'] ? 'down' : !readings.switches.replicaReads ? 'degraded' : 'up',
      lines: [
        readings.switches.replicaReads ? `${fmt(replicaReads)} reads/s` : 'replica reads OFF',
        `lag ${replicaLagSeconds === null ? '?' : `${(replicaLagSeconds * 1000).toFixed(0)} ms`}`,
      ],
    });
    edges.push({ id: 'apis->postgres-primary', from: 'apis', to: 'postgres-primary', rate: primaryReads, label: `${fmt(primaryReads)}/s` });
    edges.push({ id: 'apis->postgres-replica', from: 'apis', to: 'postgres-replica', rate: replicaReads, label: `${fmt(replicaReads)}/s` });
    edges.push({
      id: 'postgres-primary->postgres-replica',
      from: 'postgres-primary',
      to: 'postgres-replica',
      rate: 0,
      label: 'WAL stream',
    });

    // The order shards, each with its breaker.
    const breakers: Record<string, number> = {};
    for (const scrape of scrapes)
      for (const [name, value] of Object.entries(scrape.by('tenk_breaker_state', 'breaker')))
        breakers[name] = Math.max(breakers[name] ?? 0, value);
    const shardCalls = byApis('tenk_shard_calls_total', 'shard');
    const shardFailures = byApis('tenk_shard_calls_total', 'shard', { outcome: (outcome) => outcome !== 'ok' && outcome !== 'success' });
    // Every shard of the apis' map (tenk_shard_buckets), and any other one they have called.
    const mapped = byApis('tenk_shard_buckets', 'shard');
    const known = [...new Set([...Object.keys(mapped), ...Object.keys(shardCalls)])].sort();
    const shardNames = known.length > 0 ? known : ['shard_0', 'shard_1', 'shard_2', 'shard_3'];
    for (const shard of shardNames) {
      const calls = rate(`shard:${shard}`, shardCalls[shard] ?? 0);
      const failed = rate(`shard:${shard}:failed`, shardFailures[shard] ?? 0);
      const breaker = Object.entries(breakers).find(([name]) => name.includes(shard));
      const state = breaker ? (BREAKER_STATE[breaker[1]] ?? 'closed') : 'closed';
      nodes.push({
        id: shard,
        health: !readings.infra['postgres-primary'] ? 'down' : state !== 'closed' || failed > 0 ? 'degraded' : 'up',
        lines: [`${fmt(calls)} calls/s`, `breaker ${state}`],
      });
      edges.push({ id: `apis->${shard}`, from: 'apis', to: shard, rate: calls, label: `${fmt(calls)}/s` });
    }

    // Payments.
    const paymentsBreaker = Object.entries(breakers).find(([name]) => name === 'payments' || name.startsWith('payment'));
    const paymentsState = paymentsBreaker ? (BREAKER_STATE[paymentsBreaker[1]] ?? 'closed') : 'closed';
    const faults = readings.payment?.faults ?? null;
    const faulty = faults ? Object.entries(faults).some(([, value]) => value === true || (typeof value === 'number' && value > 0)) : false;
    nodes.push({
      id: 'payment-sim',
      health: !readings.payment?.up ? 'down' : faulty || paymentsState !== 'closed' ? 'degraded' : 'up',
      lines: [
        `breaker ${paymentsState}${readings.switches.breakers ? '' : ' (breakers OFF)'}`,
        faults ? describeFaults(faults) : 'no faults',
      ],
    });
    edges.push({ id: 'apis->payment-sim', from: 'apis', to: 'payment-sim', rate: 0, label: `breaker ${paymentsState}` });

    // Queues and workers.
    const workerScrapes = readings.processes.filter((process) => ['media-worker', 'mailer', 'reports'].includes(process.name));
    const depth: Record<string, number> = {};
    for (const process of [...apis, ...workerScrapes]) {
      if (!process.metrics) continue;
      for (const [queue, value] of Object.entries(
        process.metrics.by('tenk_queue_jobs', 'queue', { state: (state) => state === 'waiting' || state === 'delayed' }),
      ))
        depth[queue] = Math.max(depth[queue] ?? 0, value);
    }
    const queueDepth = Object.values(depth).reduce((total, value) => total + value, 0);
    const enqueued = rate('queue:enqueued', sumApis('tenk_queue_jobs_enqueued_total'));
    nodes.push({
      id: 'redis-queue',
      health: readings.infra['redis-queue'] ? (readings.switches.async ? 'up' : 'degraded') : 'down',
      lines: [
        Object.keys(depth).length > 0
          ? Object.entries(depth)
              .map(([queue, value]) => `${queue} ${value}`)
              .join(', ')
          : 'queues empty',
        readings.switches.async ? `${fmt(enqueued)} jobs/s in` : 'async OFF (in-request)',
      ],
    });
    edges.push({ id: 'apis->redis-queue', from: 'apis', to: 'redis-queue', rate: enqueued, label: `${fmt(enqueued)}/s` });

    let kafkaLag = 0;
    for (const worker of workerScrapes) {
      const scrape = worker.metrics;
      const done = scrape ? rate(`${worker.name}:jobs`, scrape.sum('tenk_queue_job_duration_seconds_count')) : 0;
      const lag = scrape ? scrape.sum('tenk_kafka_consumer_lag') : 0;
      kafkaLag += lag;
      nodes.push({
        id: worker.name,
        health: scrape ? 'up' : 'down',
        lines: scrape
          ? [
              `${fmt(done)} jobs/s`,
              worker.name === 'media-worker' ? `${scrape.sum('tenk_queue_jobs_running')} running` : `kafka lag ${lag}`,
            ]
          : [worker.state],
      });
      edges.push({ id: `redis-queue->${worker.name}`, from: 'redis-queue', to: worker.name, rate: done, label: `${fmt(done)}/s` });
      if (worker.name !== 'media-worker')
        edges.push({ id: `kafka->${worker.name}`, from: 'kafka', to: worker.name, rate: 0, label: `lag ${lag}` });
    }

    const published = rate('outbox:published', sumApis('tenk_outbox_published_total'));
    const backlog = scrapes.length > 0 ? Math.max(...scrapes.map((scrape) => scrape.sum('tenk_outbox_backlog'))) : 0;
    nodes.push({
      id: 'kafka',
      health: readings.infra.kafka ? (backlog > 0 ? 'degraded' : 'up') : 'down',
      lines: [`${fmt(published)} events/s`, `outbox backlog ${backlog}`],
    });
    edges.push({ id: 'apis->kafka', from: 'apis', to: 'kafka', rate: published, label: `${fmt(published)}/s` });

    const mailer = workerScrapes.find((worker) => worker.name === 'mailer')?.metrics;
    const mailed = mailer ? rate('mail:sent', mailer.sum('tenk_mail_total', { outcome: 'sent' })) : 0;
    nodes.push({ id: 'smtp-sink', health: readings.infra['smtp-sink'] ? 'up' : 'down', lines: [`${fmt(mailed)} mails/s`] });
    edges.push({ id: 'mailer->smtp-sink', from: 'mailer', to: 'smtp-sink', rate: mailed, label: `${fmt(mailed)}/s` });

    const openBreakers = Object.entries(breakers)
      .filter(([, value]) => value !== 0)
      .map(([name]) => name);
    return {
      at: new Date(readings.at).toISOString(),
      nodes,
      edges,
      switches: readings.switches,
      algorithm: balancer?.algorithm ?? null,
      paymentFaults: faults,
      processes: readings.processes.map(({ name, state }) => ({ name, state })),
      hosts: readings.hosts ? readings.hosts.map(hostView) : null,
      totals: {
        requestsPerSecond: Math.round(requestsPerSecond * 10) / 10,
        cacheHitRatio,
        replicaLagSeconds,
        kafkaLag,
        queueDepth,
        openBreakers,
      },
    };
  }
}

const LINKS: Record<string, HostView['link']> = { up: 'up', CUT: 'cut', 'CUT in': 'cut-in', 'CUT out': 'cut-out' };

/** A host for the map: a cut link (either way) is down; up with something unhealthy is degraded. */
export function hostView(host: HostReading): HostView {
  const link = LINKS[host.link] ?? 'absent';
  const unhealthy = host.services.filter((service) => !service.healthy);
  const health: Health = link !== 'up' ? 'down' : unhealthy.length > 0 ? 'degraded' : 'up';
  return {
    name: host.name,
    address: host.address,
    link,
    health,
    services: host.services.map((service) => (service.healthy ? service.name : `${service.name} (unhealthy)`)),
  };
}

function fmt(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2).replace(/\.?0+$/, '') || '0';
}

function describeFaults(faults: Record<string, unknown>): string {
  const active = Object.entries(faults).filter(([, value]) => value === true || (typeof value === 'number' && value > 0));
  return active.length === 0 ? 'no faults' : active.map(([key, value]) => (value === true ? key : `${key} ${String(value)}`)).join(', ');
}

import { collectDefaultMetrics, Registry, type Metric } from 'prom-client';
import type { BalancerStats } from '../observability/stats';
import type { Generation } from '../runtime/generation';
import { LATENCY_BUCKETS_SECONDS } from '../upstream/latency-recorder';

type Labels = Record<string, string>;
interface Sample {
  metricName?: string;
  labels: Labels;
  value: number;
}
type MetricType = 'counter' | 'gauge' | 'histogram';
/**
 * How prom-client's AggregatorRegistry combines the workers' values under worker_processes N:
 * counters and in-flight gauges add up; a peer is up only if it is up in every worker (min);
 * limits and timestamps are one worker's view (max).
 */
type Aggregator = 'sum' | 'min' | 'max';

/**
 * A metric whose values are read from the balancer's own counters when Prometheus scrapes,
 * rather than updated through prom-client on every request (a labelled observe() hashes
 * its labels each time; the hot path only bumps numeric fields). prom-client's registry
 * formats these like its own metrics.
 */
class ScrapedMetric {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly aggregator: Aggregator;
  readonly #read: () => Sample[];

  constructor(name: string, help: string, type: MetricType, read: () => Sample[], aggregator: Aggregator) {
    this.name = name;
    this.help = help;
    this.type = type;
    this.#read = read;
    this.aggregator = aggregator;
  }

  async get(): Promise<{ name: string; help: string; type: MetricType; values: Sample[]; aggregator: Aggregator }> {
    return { name: this.name, help: this.help, type: this.type, values: this.#read(), aggregator: this.aggregator };
  }

  reset(): void {
    // Values live in the balancer's counters; there is nothing to reset here.
  }
}

export interface MetricsSource {
  readonly generation: Generation;
  readonly stats: BalancerStats;
}

const CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

/** The /metrics registry: process metrics (prom-client's defaults) plus the balancer's. */
export function createMetricsRegistry(source: MetricsSource): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tenk_balancer_' });
  const add = (name: string, help: string, type: MetricType, read: () => Sample[], aggregator: Aggregator = 'sum') =>
    registry.registerMetric(new ScrapedMetric(name, help, type, read, aggregator) as unknown as Metric);
  const one = (value: number): Sample[] => [{ labels: {}, value }];
  const stats = source.stats;
  const peers = () =>
    [...source.generation.upstreams.values()].flatMap((upstream) =>
      upstream.peers.map((peer) => ({ upstream, peer, labels: { upstream: upstream.name, peer: peer.id } })),
    );

  add('tenk_balancer_requests_total', 'Requests received on public listeners.', 'counter', () => one(stats.requests));
  add('tenk_balancer_responses_total', 'Responses sent, by status class (499: client closed first).', 'counter', () =>
    CLASSES.map((code, i) => ({ labels: { code }, value: stats.responses[i + 1] })),
  );
  add('tenk_balancer_active_requests', 'Requests being answered now.', 'gauge', () => one(stats.active));
  add('tenk_balancer_connections', 'Open client connections.', 'gauge', () => one(stats.connections));
  add('tenk_balancer_connections_total', 'Client connections accepted.', 'counter', () => one(stats.connectionsTotal));
  add('tenk_balancer_rejected_total', 'Requests refused by tenk itself, by reason.', 'counter', () => [
    { labels: { reason: 'rate_limited' }, value: stats.rateLimited },
    { labels: { reason: 'body_too_large' }, value: stats.bodyTooLarge },
    { labels: { reason: 'bad_request' }, value: stats.badRequests },
    { labels: { reason: 'no_live_peer' }, value: stats.noLivePeers },
    { labels: { reason: 'at_capacity' }, value: stats.atCapacity },
  ]);
  add('tenk_balancer_client_aborts_total', 'Requests whose client closed the connection before the response was complete.', 'counter', () =>
    one(stats.clientAborts),
  );
  add('tenk_balancer_upstream_errors_total', 'Failed upstream attempts, by kind.', 'counter', () => [
    { labels: { kind: 'error' }, value: stats.upstreamErrors },
    { labels: { kind: 'timeout' }, value: stats.upstreamTimeouts },
  ]);
  add('tenk_balancer_retries_total', 'Attempts passed to another peer (proxy_next_upstream).', 'counter', () => one(stats.retries));
  add(
    'tenk_balancer_access_log_dropped_bytes_total',
    "Access-log bytes dropped because the log's reader fell more than 8 MiB behind.",
    'counter',
    () => one([...source.generation.sinks.values()].reduce((total, sink) => total + sink.droppedBytes, 0)),
  );
  add('tenk_balancer_websockets_active', 'Open upgraded (WebSocket) connections.', 'gauge', () => one(stats.websocketsActive));
  add('tenk_balancer_websockets_total', 'Upgraded (WebSocket) connections opened.', 'counter', () => one(stats.websocketsTotal));
  add('tenk_balancer_config_reloads_total', 'Configuration reloads, by result.', 'counter', () => [
    { labels: { result: 'success' }, value: stats.reloads },
    { labels: { result: 'failure' }, value: stats.reloadFailures },
  ]);
  add(
    'tenk_balancer_config_last_reload_timestamp_seconds',
    'When the running configuration was loaded.',
    'gauge',
    () => one(Math.floor((stats.lastReloadAt || stats.startedAt) / 1000)),
    'max',
  );

  add(
    'tenk_balancer_peer_up',
    'Whether the peer can take requests now (1) or not (0).',
    'gauge',
    () => peers().map(({ upstream, peer, labels }) => ({ labels, value: upstream.isPeerAvailable(peer, Date.now()) ? 1 : 0 })),
    'min',
  );
  add(
    'tenk_balancer_peer_healthy',
    'The active health check verdict (1 passing, 0 failing; 1 without a check).',
    'gauge',
    () => peers().map(({ peer, labels }) => ({ labels, value: peer.healthy ? 1 : 0 })),
    'min',
  );
  add('tenk_balancer_peer_active_requests', 'Requests (and tunnels) in flight to the peer.', 'gauge', () =>
    peers().map(({ peer, labels }) => ({ labels, value: peer.conns })),
  );
  add('tenk_balancer_peer_requests_total', 'Attempts sent to the peer.', 'counter', () =>
    peers().map(({ peer, labels }) => ({ labels, value: peer.requests })),
  );
  add('tenk_balancer_peer_failures_total', 'Failed attempts (errors, timeouts, failing statuses).', 'counter', () =>
    peers().map(({ peer, labels }) => ({ labels, value: peer.failures })),
  );
  add('tenk_balancer_peer_ejections_total', 'Times passive health took the peer out (max_fails reached).', 'counter', () =>
    peers().map(({ peer, labels }) => ({ labels, value: peer.ejections })),
  );
  add(
    'tenk_balancer_peer_busy_total',
    'Answers of 503 with Retry-After from the peer: busy, retried elsewhere where allowed, never counted as failures.',
    'counter',
    () => peers().map(({ peer, labels }) => ({ labels, value: peer.busyAnswers })),
  );
  add('tenk_balancer_peer_read_timeouts_total', 'Requests the peer did not answer within proxy_read_timeout.', 'counter', () =>
    peers().map(({ peer, labels }) => ({ labels, value: peer.readTimeouts })),
  );
  add(
    'tenk_balancer_upstream_recoveries_total',
    'Times every peer of the upstream was unusable and their failure counts were reset (nginx quick recovery).',
    'counter',
    () =>
      [...source.generation.upstreams.values()].map((upstream) => ({ labels: { upstream: upstream.name }, value: upstream.recoveries })),
  );
  const upstreams = () => [...source.generation.upstreams.values()];
  add('tenk_balancer_upstream_in_flight', "Requests in flight to the upstream's peers.", 'gauge', () =>
    upstreams().map((upstream) => ({ labels: { upstream: upstream.name }, value: upstream.inFlight().inFlight })),
  );
  add(
    'tenk_balancer_upstream_max_conns',
    "Sum of the peers' max_conns (0: some peer is unlimited); with worker_processes N and no zone, each worker enforces it by itself.",
    'gauge',
    () => upstreams().map((upstream) => ({ labels: { upstream: upstream.name }, value: upstream.inFlight().limit })),
    'max',
  );
  add('tenk_balancer_upstream_queued', "Requests waiting in the upstream's queue for a peer below max_conns.", 'gauge', () =>
    upstreams().flatMap((upstream) =>
      upstream.queue === null ? [] : [{ labels: { upstream: upstream.name }, value: upstream.queue.length }],
    ),
  );
  add('tenk_balancer_upstream_queue_admitted_total', 'Requests that waited in the queue and then got a peer.', 'counter', () =>
    upstreams().flatMap((upstream) =>
      upstream.queue === null ? [] : [{ labels: { upstream: upstream.name }, value: upstream.queue.admitted }],
    ),
  );
  add('tenk_balancer_upstream_queue_wait_seconds_total', 'Time requests that got a peer spent in the queue.', 'counter', () =>
    upstreams().flatMap((upstream) =>
      upstream.queue === null ? [] : [{ labels: { upstream: upstream.name }, value: upstream.queue.waitMsTotal / 1000 }],
    ),
  );
  add('tenk_balancer_upstream_refused_total', 'Requests refused with 503 + Retry-After by admission control, by reason.', 'counter', () =>
    upstreams().flatMap((upstream) => [
      { labels: { upstream: upstream.name, reason: 'at_capacity' }, value: upstream.refusedAtCapacity },
      { labels: { upstream: upstream.name, reason: 'queue_full' }, value: upstream.queue?.full ?? 0 },
      { labels: { upstream: upstream.name, reason: 'queue_timeout' }, value: upstream.queue?.timedOut ?? 0 },
      { labels: { upstream: upstream.name, reason: 'queue_wait' }, value: upstream.queue?.tooLong ?? 0 },
    ]),
  );
  add(
    'tenk_balancer_peer_adaptive_limit',
    "The peer's current limit of requests in flight under adaptive_concurrency (its max_conns is the ceiling).",
    'gauge',
    () => peers().flatMap(({ upstream, peer, labels }) => (upstream.adaptive === null ? [] : [{ labels, value: peer.maxConns }])),
    'max',
  );
  add('tenk_balancer_peer_responses_total', 'Responses from the peer, by status class.', 'counter', () =>
    peers().flatMap(({ peer, labels }) => CLASSES.map((code, i) => ({ labels: { ...labels, code }, value: peer.responses[i + 1] }))),
  );
  add('tenk_balancer_peer_response_seconds', 'Time from sending a request to the peer until its response ended.', 'histogram', () =>
    peers().flatMap(({ peer, labels }) => {
      const cumulative = peer.latency.cumulative();
      return [
        ...LATENCY_BUCKETS_SECONDS.map((le, i) => ({
          metricName: 'tenk_balancer_peer_response_seconds_bucket',
          labels: { ...labels, le: String(le) },
          value: cumulative[i],
        })),
        {
          metricName: 'tenk_balancer_peer_response_seconds_bucket',
          labels: { ...labels, le: '+Inf' },
          value: cumulative[cumulative.length - 1],
        },
        { metricName: 'tenk_balancer_peer_response_seconds_sum', labels, value: peer.latency.sumSeconds },
        { metricName: 'tenk_balancer_peer_response_seconds_count', labels, value: peer.latency.count },
      ];
    }),
  );
  add('tenk_balancer_limit_req_total', 'limit_req decisions, by zone and result.', 'counter', () =>
    [...source.generation.zones.values()].flatMap((zone) => [
      { labels: { zone: zone.name, result: 'passed' }, value: zone.passed },
      { labels: { zone: zone.name, result: 'delayed' }, value: zone.delayed },
      { labels: { zone: zone.name, result: 'rejected' }, value: zone.rejected },
    ]),
  );
  return registry;
}

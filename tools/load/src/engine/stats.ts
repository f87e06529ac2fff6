import { LatencyHistogram } from './histogram';
import { SlowestRequests } from './slowest-requests';

/** Counts and latencies of a set of requests (one endpoint, or all of them). */
export class Tally {
  readonly histogram = new LatencyHistogram();
  requests = 0;
  errors = 0;
  /** Requests to an optional endpoint that is not deployed yet (not counted as errors). */
  notDeployed = 0;
  bytes = 0;
  /** Responses by HTTP status; network failures by error code (`ECONNRESET`, `timeout`). */
  readonly statuses = new Map<string, number>();
  /** The outcomes that counted as errors (a 409 a request accepts is in `statuses` only). */
  readonly failures = new Map<string, number>();

  add(micros: number, outcome: string, failed: boolean, bytes: number): void {
    this.histogram.record(micros);
    this.requests += 1;
    this.bytes += bytes;
    if (failed) {
      this.errors += 1;
      this.failures.set(outcome, (this.failures.get(outcome) ?? 0) + 1);
    }
    this.statuses.set(outcome, (this.statuses.get(outcome) ?? 0) + 1);
  }
}

/**
 * One endpoint as the report lists it (`GET /products/:id`): the whole run, and the hold phase
 * at full load apart, since the ramp-up's lighter load would flatter the percentiles.
 */
export class EndpointStats {
  readonly name: string;
  /** Belongs to a feature another team may not have shipped yet: a 404 for the route is noted, not failed. */
  readonly optional: boolean;
  readonly all = new Tally();
  readonly hold = new Tally();
  /** The first response body seen for each failing status, to tell what went wrong. */
  readonly samples = new Map<string, string>();
  /** False once the route answered "Cannot <METHOD> <path>" (404 from the framework). */
  deployed = true;

  constructor(name: string, optional: boolean) {
    this.name = name;
    this.optional = optional;
  }
}

/** What one second of the run looked like. */
export interface WindowSnapshot {
  /** Seconds since the run started (end of the window). */
  t: number;
  phase: Phase;
  vus: number;
  inFlight: number;
  requests: number;
  errors: number;
  /** Latency percentiles of this window's responses, in ms. */
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** CPU the load generator used, as % of one core. */
  generatorCpu: number;
  /** The generator's event-loop delay p99 in ms: high values mean it, not the shop, is late. */
  eventLoopP99: number;
}

export type Phase = 'ramp' | 'hold' | 'drain';

/**
 * Every response of a run lands here: per endpoint (whole run and hold phase) and in the
 * current one-second window, whose histogram is reset at each roll.
 */
export class RunStats {
  readonly endpoints = new Map<string, EndpointStats>();
  readonly all = new Tally();
  readonly hold = new Tally();
  readonly window = new LatencyHistogram();
  windowRequests = 0;
  windowErrors = 0;
  phase: Phase = 'ramp';
  /** Set when the run is over: requests cut off by closing the connections are not results. */
  frozen = false;
  /** Time spent in the hold phase, for its throughput. */
  holdMs = 0;
  /** The run's slowest requests, with the trace the balancer named for each (traceresponse). */
  readonly slowest = new SlowestRequests(10);
  /** performance.now() when the stats (the run) began. */
  readonly startedAt = performance.now();
  /** Named durations a scenario measures across requests (e.g. upload -> video ready). */
  readonly journeys = new Map<string, LatencyHistogram>();

  endpoint(name: string, optional = false): EndpointStats {
    let stats = this.endpoints.get(name);
    if (!stats) {
      stats = new EndpointStats(name, optional);
      this.endpoints.set(name, stats);
    }
    return stats;
  }

  /**
   * One finished request: `outcome` is the status code as text or a network error code;
   * `failed` says whether it counts as an error.
   */
  record(endpoint: EndpointStats, micros: number, outcome: string, failed: boolean, bytes: number): void {
    if (this.frozen) return;
    endpoint.all.add(micros, outcome, failed, bytes);
    this.all.add(micros, outcome, failed, bytes);
    if (this.phase === 'hold') {
      endpoint.hold.add(micros, outcome, failed, bytes);
      this.hold.add(micros, outcome, failed, bytes);
    }
    this.window.record(micros);
    this.windowRequests += 1;
    if (failed) this.windowErrors += 1;
  }

  /** A request to an optional endpoint that is not deployed: noted apart, not an error. */
  recordNotDeployed(endpoint: EndpointStats): void {
    if (this.frozen) return;
    endpoint.deployed = false;
    endpoint.all.notDeployed += 1;
    this.all.notDeployed += 1;
    if (this.phase === 'hold') {
      endpoint.hold.notDeployed += 1;
      this.hold.notDeployed += 1;
    }
  }

  journey(name: string, micros: number): void {
    let histogram = this.journeys.get(name);
    if (!histogram) {
      histogram = new LatencyHistogram();
      this.journeys.set(name, histogram);
    }
    histogram.record(micros);
  }

  /** Returns this window's counts and percentiles, and starts the next window. */
  rollWindow(): { requests: number; errors: number; p50: number; p95: number; p99: number; max: number } {
    const window = this.window;
    const snapshot = {
      requests: this.windowRequests,
      errors: this.windowErrors,
      p50: window.percentile(50) / 1_000,
      p95: window.percentile(95) / 1_000,
      p99: window.percentile(99) / 1_000,
      max: window.max / 1_000,
    };
    window.reset();
    this.windowRequests = 0;
    this.windowErrors = 0;
    return snapshot;
  }
}

import type { MachineDescription } from '@tenk/lab';
import type { HistogramJson } from '../engine/histogram';
import type { SlowRequest } from '../engine/slowest-requests';
import type { WindowSnapshot } from '../engine/stats';
import type { MemorySnapshot } from '../monitor/process-monitor';
import type { QuietWindows } from './analysis';

/** Latency summary in milliseconds. */
export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export interface EndpointResult {
  name: string;
  optional: boolean;
  /** False when an optional endpoint answered that its route does not exist. */
  deployed: boolean;
  requests: number;
  errors: number;
  notDeployed: number;
  /** Responses by status (and network errors by code), whole run. */
  statuses: Record<string, number>;
  /** The part of `statuses` that counted as errors. */
  failures: Record<string, number>;
  /** Requests per second during the hold. */
  throughput: number;
  /** Latency during the hold. */
  latency: LatencySummary;
  /** Latency over the whole run (ramp-up included). */
  latencyAll: LatencySummary;
  /** The first body seen for each failing status: what the shop said was wrong. */
  errorSamples: Record<string, string>;
}

/** One second of the run (the runner's window) with the monitor's numbers for that second. */
export interface TimelinePoint extends WindowSnapshot {
  /** CPU per process group, % of one core (when monitored). */
  cpu?: Record<string, number>;
  machineCpu?: number;
  otherCpu?: number;
  shopRssBytes?: number;
}

export interface CpuUsage {
  name: string;
  kind: 'shop' | 'harness' | 'other';
  /** Average over the hold, % of one core. */
  average: number;
  peak: number;
}

export interface TargetCheck {
  name: string;
  target: string;
  actual: string;
  met: boolean;
}

/** One of the slowest requests, linked to its trace. */
export interface SlowRequestResult extends SlowRequest {
  /** The map's page of its trace (drawn from Jaeger), or null without a trace id. */
  traceUrl: string | null;
  /** Whether Jaeger had the trace after the run; null when not checked. */
  inJaeger: boolean | null;
}

/** Everything a run measured: the JSON report, and what the HTML and console summaries show. */
export interface LoadResult {
  tool: 'tenk-load';
  version: 1;
  name: string;
  scenario: string;
  mix: { scenario: string; weight: number }[];
  startedAt: string;
  finishedAt: string;
  target: { url: string; startedByTool: boolean; apiInstances: number | null; shopEnv: Record<string, string> };
  settings: {
    vus: number;
    rampSeconds: number;
    holdSeconds: number;
    think: string;
    uploadThink: string;
    zipfExponent: number;
    seed: number;
    clientIps: number;
    connectionsPerIp: number;
    timeoutSeconds: number;
    catalogProducts: number;
    uploadBytes: number | null;
  };
  /**
   * The code measured and how to rerun it (absent in results written before it was recorded):
   * the commit and whether the tree had changes, the exact command, the versions of what ran,
   * and `quiet`: other work used at most 10% of a core on average during the hold.
   */
  run?: { commit: string | null; dirty: boolean | null; command: string; versions: Record<string, string>; quiet: boolean | null };
  conditions: {
    machine: MachineDescription;
    loadAverageBefore: number[];
    loadAverageAfter: number[];
    note: string | null;
    /** CPU used by everything that is neither the shop nor the load tool, hold average, % of one core. */
    otherCpuDuringHold: number | null;
    generator: { cpuAverage: number; cpuPeak: number; eventLoopP99Max: number };
  };
  summary: {
    requests: number;
    errors: number;
    errorRate: number;
    notDeployed: number;
    holdSeconds: number;
    throughput: number;
    latency: LatencySummary;
    latencyAll: LatencySummary;
    peakVus: number;
    stoppedEarly: boolean;
    abandoned: number;
  };
  endpoints: EndpointResult[];
  journeys: ({ name: string; count: number } & LatencySummary)[];
  /** The 10 slowest requests and their traces (absent in results written before they were recorded). */
  slowest?: SlowRequestResult[];
  timeline: TimelinePoint[];
  memory: { idle: MemorySnapshot | null; load: MemorySnapshot | null; peakShopRssBytes: number | null; targetBytes: number };
  cpu: CpuUsage[];
  /**
   * checks: the targets; limit: where the limit was, in sentences; errors: what the failures
   * were; quiet: the hold's seconds when the machine was not busy with other work.
   */
  verdict: { checks: TargetCheck[]; limit: string[]; errors: string[]; quiet: QuietWindows | null };
  histograms: { hold: HistogramJson; all: HistogramJson };
  notes: string[];
}

/** One of the run's slowest requests, with the trace the balancer named for it. */
export interface SlowRequest {
  endpoint: string;
  /** HTTP status, or the network error code. */
  outcome: string;
  latencyMs: number;
  /** Seconds since the run started, when the response was in. */
  atSeconds: number;
  /** From the balancer's `traceresponse` header; null when tracing is off (or no answer came). */
  traceId: string | null;
  /** The header's sampled flag: the trace was kept by the ratio (else only if it failed or was slow). */
  sampled: boolean;
}

/**
 * The N slowest requests of a run, kept as they come: a request faster than the slowest N so far
 * costs one comparison (no allocation); a slower one replaces the fastest of them.
 */
export class SlowestRequests {
  readonly #capacity: number;
  readonly #items: SlowRequest[] = [];
  /** Latency of the fastest kept request once full: anything at or below it is not kept. */
  #floorMs = 0;

  constructor(capacity = 10) {
    this.#capacity = capacity;
  }

  /** Whether a request this slow would be kept: the cheap test before building a record. */
  wants(latencyMs: number): boolean {
    return this.#items.length < this.#capacity || latencyMs > this.#floorMs;
  }

  offer(request: SlowRequest): void {
    if (!this.wants(request.latencyMs)) return;
    const items = this.#items;
    if (items.length < this.#capacity) items.push(request);
    else {
      let fastest = 0;
      for (let i = 1; i < items.length; i++) if (items[i].latencyMs < items[fastest].latencyMs) fastest = i;
      items[fastest] = request;
    }
    if (items.length === this.#capacity) this.#floorMs = Math.min(...items.map((item) => item.latencyMs));
  }

  /** Slowest first. */
  list(): SlowRequest[] {
    return [...this.#items].sort((a, b) => b.latencyMs - a.latencyMs);
  }
}

/**
 * The trace id in a W3C `traceresponse` (or `traceparent`) value, `00-<trace id>-<span id>-<flags>`,
 * and whether it was sampled; undefined for anything else.
 */
export function parseTraceresponse(value: string): { traceId: string; sampled: boolean } | undefined {
  const match = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-([0-9a-f]{2})$/.exec(value.trim());
  if (!match || /^0+$/.test(match[1])) return undefined;
  return { traceId: match[1], sampled: (parseInt(match[2], 16) & 1) === 1 };
}

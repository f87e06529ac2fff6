/**
 * Reading traces back from Jaeger's HTTP query API (`/api/traces`), which tools/infra's Jaeger
 * serves on 127.0.0.1 (config.tracing.jaeger.uiPort): for the map's trace page, the load
 * report's slow requests and the lab's trace figures. Plain data out, no Jaeger types leak.
 */

/** One span as the viewers draw it. Times in µs; start relative to the trace's first span. */
export interface TraceSpan {
  id: string;
  /** The parent span's id (CHILD_OF), when it has one. */
  parent: string | undefined;
  service: string;
  name: string;
  startUs: number;
  durationUs: number;
  /** Its attributes (Jaeger's tags), e.g. `tenk.cache.outcome`, `http.response.status_code`. */
  attributes: Record<string, string | number | boolean>;
  /** Status ERROR (Jaeger's `error` tag). */
  failed: boolean;
}

export interface TraceView {
  traceId: string;
  /** Epoch µs of the first span. */
  startedAtUs: number;
  durationUs: number;
  /** Depth-first from the roots, children by start time: the waterfall's rows. */
  spans: TraceSpan[];
}

/** The summary of a trace found by a search (the map's list of slow requests). */
export interface TraceSummary {
  traceId: string;
  /** The root span's service and name (`balancer`, `GET api`). */
  service: string;
  name: string;
  startedAtUs: number;
  durationUs: number;
  spans: number;
  failed: boolean;
  status: number | undefined;
  /** Why it was kept although the ratio left it out (`error`, `slow`), if so. */
  kept: string | undefined;
}

interface JaegerSpan {
  spanID: string;
  operationName: string;
  references?: Array<{ refType: string; spanID: string }>;
  startTime: number;
  duration: number;
  processID: string;
  tags?: Array<{ key: string; value: string | number | boolean }>;
}
export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

const TRACE_ID = /^[0-9a-f]{32}$/;

/** Whether `value` is a trace id as Jaeger and W3C write it (32 lowercase hex, not all zero). */
export function isTraceId(value: string): boolean {
  return TRACE_ID.test(value) && !/^0+$/.test(value);
}

export class JaegerQuery {
  readonly #base: string;
  readonly #timeoutMs: number;

  /** `base`: Jaeger's query URL, e.g. http://127.0.0.1:56686. */
  constructor(base: string, timeoutMs = 3_000) {
    this.#base = base.replace(/\/+$/, '');
    this.#timeoutMs = timeoutMs;
  }

  get base(): string {
    return this.#base;
  }

  /** The trace as Jaeger returns it, or undefined when Jaeger does not have it. Throws when Jaeger does not answer. */
  async raw(traceId: string): Promise<JaegerTrace | undefined> {
    if (!isTraceId(traceId)) throw new Error(`not a trace id: ${JSON.stringify(traceId)} (expected 32 hex characters)`);
    const response = await fetch(`${this.#base}/api/traces/${traceId}`, { signal: AbortSignal.timeout(this.#timeoutMs) });
    if (response.status === 404) return undefined;
    if (!response.ok) throw new Error(`Jaeger's query API answered ${response.status} for trace ${traceId}`);
    const { data } = (await response.json()) as { data?: JaegerTrace[] };
    return data?.[0] && data[0].spans.length > 0 ? data[0] : undefined;
  }

  /** The trace, its spans in waterfall order, or undefined when Jaeger does not have it. */
  async trace(traceId: string): Promise<TraceView | undefined> {
    const raw = await this.raw(traceId);
    return raw === undefined ? undefined : toTraceView(raw);
  }

  /** Whether Jaeger has the trace (false too when it does not answer). */
  async has(traceId: string): Promise<boolean> {
    return (await this.raw(traceId).catch(() => undefined)) !== undefined;
  }

  /**
   * Recent traces with a root span of `service` (and `operation`) lasting at least
   * `minDurationMs`, newest first: the slow requests of the last `lookback` (Jaeger's `1h`, `15m`).
   */
  async find(search: {
    service: string;
    operation?: string;
    minDurationMs?: number;
    limit?: number;
    lookback?: string;
  }): Promise<TraceSummary[]> {
    const params = new URLSearchParams({ service: search.service, limit: String(search.limit ?? 20), lookback: search.lookback ?? '1h' });
    if (search.operation) params.set('operation', search.operation);
    if (search.minDurationMs) params.set('minDuration', `${search.minDurationMs}ms`);
    const end = Date.now() * 1_000;
    params.set('end', String(end));
    params.set('start', String(end - lookbackUs(search.lookback ?? '1h')));
    const response = await fetch(`${this.#base}/api/traces?${params}`, { signal: AbortSignal.timeout(this.#timeoutMs) });
    if (!response.ok) throw new Error(`Jaeger's query API answered ${response.status} to a search for ${search.service}`);
    const { data } = (await response.json()) as { data?: JaegerTrace[] };
    return (data ?? [])
      .map((raw) => summarize(toTraceView(raw)))
      .filter((summary): summary is TraceSummary => summary !== undefined)
      .sort((a, b) => b.startedAtUs - a.startedAtUs);
  }
}

function lookbackUs(lookback: string): number {
  const match = /^(\d+)(m|h|d)$/.exec(lookback);
  if (!match) throw new Error(`lookback must look like 15m, 1h or 2d, not ${JSON.stringify(lookback)}`);
  const unit = { m: 60, h: 3_600, d: 86_400 }[match[2] as 'm' | 'h' | 'd'];
  return Number(match[1]) * unit * 1_000_000;
}

/** Jaeger's trace as plain spans in waterfall order: each root, then its children by start, depth first. */
export function toTraceView(raw: JaegerTrace): TraceView {
  const startedAtUs = Math.min(...raw.spans.map((span) => span.startTime));
  const endUs = Math.max(...raw.spans.map((span) => span.startTime + span.duration));
  const spans = raw.spans.map<TraceSpan>((span) => {
    const attributes = Object.fromEntries((span.tags ?? []).map((tag) => [tag.key, tag.value]));
    return {
      id: span.spanID,
      parent: span.references?.find((reference) => reference.refType === 'CHILD_OF')?.spanID,
      service: raw.processes[span.processID]?.serviceName ?? span.processID,
      name: span.operationName,
      startUs: span.startTime - startedAtUs,
      durationUs: span.duration,
      attributes,
      failed: attributes['error'] === true || attributes['otel.status_code'] === 'ERROR',
    };
  });
  const ids = new Set(spans.map((span) => span.id));
  const children = new Map<string, TraceSpan[]>();
  const roots: TraceSpan[] = [];
  for (const span of spans) {
    // A parent not in the trace (the client's span, or a part another process did not keep): a root here.
    if (span.parent === undefined || !ids.has(span.parent)) roots.push(span);
    else children.set(span.parent, [...(children.get(span.parent) ?? []), span]);
  }
  const ordered: TraceSpan[] = [];
  const visit = (span: TraceSpan) => {
    ordered.push(span);
    for (const child of (children.get(span.id) ?? []).sort((a, b) => a.startUs - b.startUs)) visit(child);
  };
  for (const root of roots.sort((a, b) => a.startUs - b.startUs)) visit(root);
  return { traceId: raw.traceID, startedAtUs, durationUs: endUs - startedAtUs, spans: ordered };
}

function summarize(trace: TraceView): TraceSummary | undefined {
  const root = trace.spans[0];
  if (root === undefined) return undefined;
  const status = root.attributes['http.response.status_code'];
  const kept = root.attributes['tenk.trace.kept'];
  return {
    traceId: trace.traceId,
    service: root.service,
    name: root.name,
    startedAtUs: trace.startedAtUs,
    durationUs: trace.durationUs,
    spans: trace.spans.length,
    failed: trace.spans.some((span) => span.failed),
    status: typeof status === 'number' ? status : undefined,
    kept: typeof kept === 'string' ? kept : undefined,
  };
}

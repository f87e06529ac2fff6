import {
  context,
  propagation,
  ROOT_CONTEXT,
  trace,
  type Context,
  type Span,
  type SpanOptions,
  type Tracer,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
} from '@opentelemetry/api';
import { isTracingSuppressed, suppressTracing, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  type SpanExporter,
  type SpanProcessor,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { TracingConfig } from '@tenk/config';
import { DeferredSpan, sendAfterTheFact, type AfterTheFactSink, type AfterTheFactSpan, type KeptBecause } from './deferred-span';
import { parseTraceparent, type RemoteParent } from './trace-ids';

export { SpanKind, SpanStatusCode, type Span, type Context };
export { parseTraceparent, formatTraceparent, newTraceId, newSpanId, type RemoteParent } from './trace-ids';
export { KEPT_ATTRIBUTE, epochMs, type AfterTheFactSpan, type KeptBecause } from './deferred-span';

/** A header carrier: HTTP headers, Kafka message headers, a Bull job's field. */
export type TraceCarrier = Record<string, unknown>;

interface Active {
  provider: NodeTracerProvider;
  tracer: Tracer;
  /** New traces kept with this probability (TENK_TRACE_SAMPLE_RATIO). */
  ratio: number;
  /** Where spans the ratio left out go when they fail (deferred-span.ts). */
  sink: AfterTheFactSink;
}

let active: Active | undefined;

/** The instrumentation scope of every span of the shop's. */
const SCOPE = { name: 'tenk' };
/** What span calls get when tracing is off or suppressed. */
const NOOP_SPAN = trace.wrapSpanContext({ traceId: '00000000000000000000000000000000', spanId: '0000000000000000', traceFlags: 0 });

/**
 * True once startTracing() has installed an exporter. Code on a hot path checks this first
 * and does no span work at all when tracing is off (the API's no-op spans still cost a
 * context lookup and an object per call).
 */
export function tracingEnabled(): boolean {
  return active !== undefined;
}

export interface StartTracingOptions {
  /** `api`, `mailer`, `balancer`: the service.name of every span. */
  service: string;
  config: TracingConfig;
  /** Tests: where spans go instead of OTLP (exported at once, not batched). */
  exporter?: SpanExporter;
  /**
   * Keep the active span in an AsyncLocalStorage (default true): what inSpan(), the logger's
   * trace ids and currentTraceparent() read. A process that hands its spans around by hand (the
   * balancer) says false: an AsyncLocalStorage, once the SDK's exporter first enters it, makes
   * Node run a hook for every async resource and promise of the process, traced or not.
   */
  asyncContext?: boolean;
}

/**
 * Installs OpenTelemetry's SDK for this process once: W3C `traceparent` propagation,
 * AsyncLocalStorage context, spans batched to the OTLP/HTTP endpoint. Sampling is parent-based
 * with the configured ratio for new traces, decided here (startSpan, startRequestSpan) before
 * the SDK is asked for anything: only sampled spans are SDK spans (the SDK's own sampler just
 * follows the parent, and takes a root it is handed as decided). A span the ratio left out is a
 * DeferredSpan (ids, name, start time), sent after the fact only if it fails: errors always
 * kept (deferred-span.ts). Without an endpoint (and no test exporter) it installs nothing:
 * every call below stays a no-op.
 */
export function startTracing(options: StartTracingOptions): boolean {
  if (active) return true;
  const { config } = options;
  if (!options.exporter && !config.endpoint) return false;
  const exporting: SpanProcessor = options.exporter
    ? new SimpleSpanProcessor(options.exporter)
    : new BatchSpanProcessor(new OTLPTraceExporter({ url: `${config.endpoint}/v1/traces`, timeoutMillis: 5_000 }), {
        scheduledDelayMillis: 1_000,
        maxQueueSize: 4_096,
      });
  const resource = resourceFromAttributes({ 'service.name': options.service, 'service.namespace': 'tenk' });
  const provider = new NodeTracerProvider({
    resource,
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors: [exporting],
  });
  provider.register({ propagator: new W3CTraceContextPropagator(), contextManager: options.asyncContext === false ? null : undefined });
  active = {
    provider,
    tracer: provider.getTracer(SCOPE.name),
    ratio: config.sampleRatio,
    sink: { processor: exporting, resource, scope: SCOPE, keepErrors: config.keepErrors, slowMs: config.keepSlowMs },
  };
  return true;
}

/** Sends what is batched and uninstalls the SDK (shutdown, tests). */
export async function stopTracing(): Promise<void> {
  const current = active;
  if (!current) return;
  active = undefined;
  await current.provider.shutdown().catch(() => undefined);
  trace.disable();
  propagation.disable();
  context.disable();
}

/** Sends what is batched now (tests, before reading a trace back). */
export async function flushTracing(): Promise<void> {
  await active?.provider.forceFlush();
}

/**
 * Starts a span under `parent` (default: the active context), parent-based: under a sampled
 * span an SDK span, under an unsampled one (or a new trace the ratio does not pick) a
 * DeferredSpan, which costs an object and two ids and is sent only if it fails. In a context
 * untraced() suppressed, and when tracing is off, the API's no-op span.
 */
export function startSpan(name: string, options: SpanOptions = {}, parent: Context = context.active()): Span {
  if (!active) return NOOP_SPAN;
  if (isTracingSuppressed(parent)) return NOOP_SPAN;
  const parentSpan = trace.getSpan(parent);
  const parentContext = parentSpan?.spanContext();
  if (parentContext !== undefined && trace.isSpanContextValid(parentContext)) {
    if ((parentContext.traceFlags & TraceFlags.SAMPLED) !== 0) return active.tracer.startSpan(name, options, parent);
    const local = parentSpan instanceof DeferredSpan ? parentSpan : undefined;
    return new DeferredSpan(active.sink, name, options.kind, options.attributes, {
      traceId: parentContext.traceId,
      spanId: parentContext.spanId,
      isRemote: parentContext.isRemote === true,
      local,
    });
  }
  if (pickNewTrace(active)) return active.tracer.startSpan(name, options, parent);
  return new DeferredSpan(active.sink, name, options.kind, options.attributes, undefined);
}

/**
 * The span of a request that arrived with `traceparent` (the header's value, if any): it
 * continues the caller's trace (a sampled caller: an SDK span; an unsampled one: a DeferredSpan
 * with the same trace id, under the caller's span) or starts one by the ratio. The header is
 * read by position, without the propagator and its context (parseTraceparent).
 */
export function startRequestSpan(name: string, options: SpanOptions, traceparent: string | undefined): Span {
  if (!active) return NOOP_SPAN;
  const parent = parseTraceparent(traceparent);
  if (sampleRequest(parent)) return startSampledSpan(name, options, parent);
  const remote = parent === undefined ? undefined : { traceId: parent.traceId, spanId: parent.spanId, isRemote: true, local: undefined };
  return new DeferredSpan(active.sink, name, options.kind, options.attributes, remote);
}

/**
 * The sampling decision for a request that arrived with `parent` (parseTraceparent of its
 * header): its caller's decision, or the ratio for a new trace. False when tracing is off. The
 * balancer asks this first and, for a request left out, makes no span at all (it keeps the ids
 * and sends a span after the fact if the request fails: keepFailedSpan).
 */
export function sampleRequest(parent: RemoteParent | undefined): boolean {
  if (!active) return false;
  return parent === undefined ? pickNewTrace(active) : parent.sampled;
}

/** The SDK span of a request sampleRequest() picked: under its caller's span, or a new trace. */
export function startSampledSpan(name: string, options: SpanOptions, parent: RemoteParent | undefined): Span {
  if (!active) return NOOP_SPAN;
  if (parent === undefined) return active.tracer.startSpan(name, options, ROOT_CONTEXT);
  const remote = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: parent.traceId,
    spanId: parent.spanId,
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  });
  return active.tracer.startSpan(name, options, remote);
}

/**
 * Why a request the ratio left out, which made no span while it ran (the balancer's), is kept
 * after all: `error` when it failed, `slow` when it lasted TENK_TRACE_KEEP_SLOW_MS, else
 * undefined (nothing to send). Always undefined when tracing is off or TENK_TRACE_KEEP_ERRORS=false.
 */
export function keptBecause(failed: boolean, durationMs: number): KeptBecause | undefined {
  if (!active || !active.sink.keepErrors) return undefined;
  if (failed) return 'error';
  const slowMs = active.sink.slowMs;
  return slowMs > 0 && durationMs >= slowMs ? 'slow' : undefined;
}

/**
 * Sends a span the ratio left out, built after the fact from what the caller kept (ids, start
 * time) and collected at the end, marked `tenk.trace.kept=<why>` (keptBecause): the balancer's
 * failed (or slow) proxied request.
 */
export function keepSpanAfterTheFact(span: AfterTheFactSpan, why: KeptBecause): void {
  if (!active || !active.sink.keepErrors) return;
  sendAfterTheFact(active.sink, span, why);
}

function pickNewTrace(current: Active): boolean {
  return current.ratio >= 1 || (current.ratio > 0 && Math.random() < current.ratio);
}

/** Writes the current context's `traceparent` (and `tracestate`) into a carrier. */
export function injectTraceContext(carrier: TraceCarrier, from: Context = context.active()): void {
  if (active) propagation.inject(from, carrier);
}

/** The current trace's `traceparent`, or undefined when there is none (or tracing is off). */
export function currentTraceparent(from: Context = context.active()): string | undefined {
  if (!active) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(from, carrier);
  return carrier.traceparent;
}

/** A span's own `traceparent` (what a message it sends carries), without making it active. */
export function traceparentOf(span: Span): string | undefined {
  return currentTraceparent(trace.setSpan(ROOT_CONTEXT, span));
}

/**
 * The context a carrier's `traceparent` continues: a message or request names its own parent,
 * so nothing of the ambient context is kept (a carrier without one starts a new trace). No
 * carrier at all: the active context.
 */
export function extractTraceContext(carrier: TraceCarrier | undefined): Context {
  if (!active || !carrier) return context.active();
  return propagation.extract(ROOT_CONTEXT, carrier, HEADER_GETTER);
}

/**
 * Runs background work (a poll loop's round) outside every trace: spans started in it without
 * an explicit parent are not recorded, and it does not hang under whichever request happened
 * to schedule it (a timer keeps the context it was created in, round after round).
 */
export function untraced<T>(work: () => T): T {
  if (!active) return work();
  return context.with(suppressTracing(ROOT_CONTEXT), work);
}

/** Reads header values that may be strings, Buffers (Kafka) or arrays (Node's http). */
const HEADER_GETTER = {
  keys: (carrier: TraceCarrier) => Object.keys(carrier),
  get: (carrier: TraceCarrier, key: string): string | undefined => {
    const value = carrier[key] ?? carrier[key.toLowerCase()];
    if (value === undefined || value === null) return undefined;
    if (Array.isArray(value)) return value.length > 0 ? String(value[0]) : undefined;
    return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
  },
};

/**
 * Runs `work` inside a new span (startSpan: a child of `parent`, default the active context),
 * ending it when the work settles: an error is recorded on it and its status set to ERROR (a
 * deferred span is then sent, with the deferred spans it ran under here). When tracing is off
 * the work runs with the API's no-op span.
 */
export async function inSpan<T>(
  name: string,
  options: SpanOptions & { parent?: Context },
  work: (span: Span) => Promise<T> | T,
): Promise<T> {
  if (!active) return work(NOOP_SPAN);
  const { parent = context.active(), ...spanOptions } = options;
  const span = startSpan(name, spanOptions, parent);
  return context.with(trace.setSpan(parent, span), async () => {
    try {
      return await work(span);
    } catch (error) {
      markFailed(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Records an error on a span and marks it failed. */
export function markFailed(span: Span, error: unknown): void {
  const failure = error instanceof Error ? error : new Error(String(error));
  span.recordException(failure);
  span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
}

/**
 * Sets attributes on the active span if it records (a sampled one): nothing when tracing is
 * off, outside a span, or under a span the ratio left out (a DeferredSpan does not record).
 */
export function annotateActiveSpan(attributes: Record<string, string | number | boolean | undefined>): void {
  if (!active) return;
  const span = trace.getActiveSpan();
  if (!span?.isRecording()) return;
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined) span.setAttribute(key, value);
}

/** trace_id and span_id of the active span, for log lines; undefined when there is none. */
export function activeTraceIds(): { trace_id: string; span_id: string } | undefined {
  if (!active) return undefined;
  const span = trace.getActiveSpan();
  if (!span) return undefined;
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}

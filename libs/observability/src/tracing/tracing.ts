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
} from '@opentelemetry/api';
import { suppressTracing, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type SpanExporter,
  type SpanProcessor,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { TracingConfig } from '@tenk/config';
import { KeptTraceProcessor, RecordUnsampled } from './kept-traces';

export { SpanKind, SpanStatusCode, type Span, type Context };

/** A header carrier: HTTP headers, Kafka message headers, a Bull job's field. */
export type TraceCarrier = Record<string, unknown>;

interface Active {
  provider: NodeTracerProvider;
  tracer: Tracer;
}

let active: Active | undefined;

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
}

/**
 * Installs OpenTelemetry's SDK for this process once: parent-based sampling with the
 * configured ratio for new traces (and, with keepErrors, the unsampled ones recorded and sent
 * when they fail: kept-traces.ts), W3C `traceparent` propagation, AsyncLocalStorage context,
 * spans batched to the OTLP/HTTP endpoint. Without an endpoint (and no test exporter) it
 * installs nothing: every call below stays the API's no-op.
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
  const ratio = new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.sampleRatio) });
  // Errors always kept (kept-traces.ts): unsampled spans are recorded too, and sent only when
  // their trace failed here (or was slow, with keepSlowMs). Off: they are not recorded at all.
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.service, 'service.namespace': 'tenk' }),
    sampler: config.keepErrors ? new RecordUnsampled(ratio) : ratio,
    spanProcessors: [config.keepErrors ? new KeptTraceProcessor(exporting, { slowMs: config.keepSlowMs }) : exporting],
  });
  provider.register({ propagator: new W3CTraceContextPropagator() });
  active = { provider, tracer: provider.getTracer('tenk') };
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

/** The tracer (the API's no-op one when tracing is off). */
export function tracer(): Tracer {
  return active?.tracer ?? trace.getTracer('tenk');
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
 * Runs `work` inside a new span (a child of `parent`, default the active context), ending it
 * when the work settles: an error is recorded on it and its status set to ERROR. When tracing
 * is off the work runs with the API's no-op span.
 */
export async function inSpan<T>(
  name: string,
  options: SpanOptions & { parent?: Context },
  work: (span: Span) => Promise<T> | T,
): Promise<T> {
  if (!active) return work(trace.wrapSpanContext(INVALID));
  const { parent, ...spanOptions } = options;
  return active.tracer.startActiveSpan(name, spanOptions, parent ?? context.active(), async (span) => {
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

/** Sets attributes on the active span, if there is a recording one (no work when off). */
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

const INVALID = { traceId: '00000000000000000000000000000000', spanId: '0000000000000000', traceFlags: 0 };

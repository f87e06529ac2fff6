import { TraceFlags, SpanStatusCode, type Context, type SpanContext } from '@opentelemetry/api';
import {
  SamplingDecision,
  type ReadableSpan,
  type Sampler,
  type SamplingResult,
  type Span as SdkSpan,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { Attributes, Link, SpanKind } from '@opentelemetry/api';

/**
 * Errors always kept, the sampler's half: whatever the ratio (or the caller's `traceparent`)
 * leaves out is recorded anyway (RECORD, not RECORD_AND_SAMPLED), so its spans exist in this
 * process until KeptTraceProcessor decides; the `traceparent` sent on still says "not sampled",
 * so the next process makes the same choice.
 */
export class RecordUnsampled implements Sampler {
  readonly #sampler: Sampler;

  constructor(sampler: Sampler) {
    this.#sampler = sampler;
  }

  shouldSample(context: Context, traceId: string, name: string, kind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    const result = this.#sampler.shouldSample(context, traceId, name, kind, attributes, links);
    return result.decision === SamplingDecision.NOT_RECORD ? { ...result, decision: SamplingDecision.RECORD } : result;
  }

  toString(): string {
    return `RecordUnsampled{${this.#sampler.toString()}}`;
  }
}

export interface KeptTraceLimits {
  /** Keep a local trace whose first span here lasted at least this long (0: errors only). */
  slowMs: number;
  /** Unsampled traces open at once in this process; past it the oldest is forgotten. */
  maxOpenTraces: number;
  /** Spans held per open trace; past it further spans of that trace are not held. */
  maxSpansPerTrace: number;
}

/** This process's part of one unsampled trace, held until its spans have all ended. */
class OpenTrace {
  readonly spans: ReadableSpan[] = [];
  open = 0;
  failed = false;
  slow = false;
}

/** Why an unsampled trace was sent after all. */
export type KeptBecause = 'error' | 'slow';

/**
 * The attribute a kept span carries, saying why it is in the store although the ratio left
 * its trace out: `error` or `slow`.
 */
export const KEPT_ATTRIBUTE = 'tenk.trace.kept';

/**
 * Errors always kept, the processor's half. Sampled spans go straight to `next` (the batch
 * exporter). Unsampled ones (recorded by RecordUnsampled) are held per trace id while any span
 * of that trace is open in this process; when the last one ends, the lot is sent if one of
 * them failed (status ERROR: a 5xx, an exception, a failed job) or, with `slowMs`, if the first
 * one lasted that long, and dropped otherwise. Later spans of a trace that was sent follow it.
 *
 * Each process decides for its own part: a failing api request is kept by the api and (its
 * answer being a 5xx) by the balancer, so Jaeger has the whole request; a job that fails after
 * the request that queued it succeeded is kept alone, its parent missing in the viewer.
 */
export class KeptTraceProcessor implements SpanProcessor {
  readonly #next: SpanProcessor;
  readonly #limits: KeptTraceLimits;
  readonly #open = new Map<string, OpenTrace>();
  /** Trace ids sent lately (insertion order, bounded): their late spans follow them. */
  readonly #sent = new Map<string, KeptBecause>();

  constructor(next: SpanProcessor, limits: Partial<KeptTraceLimits> = {}) {
    this.#next = next;
    this.#limits = { slowMs: 0, maxOpenTraces: 10_000, maxSpansPerTrace: 512, ...limits };
  }

  onStart(span: SdkSpan, parentContext: Context): void {
    const spanContext = span.spanContext();
    if (spanContext.traceFlags & TraceFlags.SAMPLED) return this.#next.onStart(span, parentContext);
    let trace = this.#open.get(spanContext.traceId);
    if (trace === undefined) {
      if (this.#open.size >= this.#limits.maxOpenTraces) this.#open.delete(this.#open.keys().next().value as string);
      trace = new OpenTrace();
      this.#open.set(spanContext.traceId, trace);
    }
    trace.open++;
  }

  onEnd(span: ReadableSpan): void {
    const spanContext = span.spanContext();
    if (spanContext.traceFlags & TraceFlags.SAMPLED) return this.#next.onEnd(span);
    const trace = this.#open.get(spanContext.traceId);
    if (trace === undefined) {
      // Its trace was decided already (or forgotten): it follows a trace that was sent.
      const why = span.status.code === SpanStatusCode.ERROR ? 'error' : this.#sent.get(spanContext.traceId);
      if (why !== undefined) this.#send([span], why);
      return;
    }
    if (trace.spans.length < this.#limits.maxSpansPerTrace) trace.spans.push(span);
    if (span.status.code === SpanStatusCode.ERROR) trace.failed = true;
    if (this.#limits.slowMs > 0 && isLocalRoot(span) && durationMs(span) >= this.#limits.slowMs) trace.slow = true;
    if (--trace.open > 0) return;
    this.#open.delete(spanContext.traceId);
    const why = trace.failed ? 'error' : trace.slow ? 'slow' : this.#sent.get(spanContext.traceId);
    if (why === undefined) return;
    this.#remember(spanContext.traceId, why);
    this.#send(trace.spans, why);
  }

  forceFlush(): Promise<void> {
    return this.#next.forceFlush();
  }

  shutdown(): Promise<void> {
    this.#open.clear();
    return this.#next.shutdown();
  }

  /** Traces held now (tests, metrics). */
  get openTraces(): number {
    return this.#open.size;
  }

  #remember(traceId: string, why: KeptBecause): void {
    if (this.#sent.has(traceId)) return;
    if (this.#sent.size >= 1_024) this.#sent.delete(this.#sent.keys().next().value as string);
    this.#sent.set(traceId, why);
  }

  /** Hands the spans to the exporter's processor as sampled ones, marked with why they were kept. */
  #send(spans: ReadableSpan[], why: KeptBecause): void {
    for (const span of spans) this.#next.onEnd(asKept(span, why));
  }
}

/** The first span of this trace in this process: no parent, or one from another process. */
function isLocalRoot(span: ReadableSpan): boolean {
  return span.parentSpanContext === undefined || span.parentSpanContext.isRemote === true;
}

function durationMs(span: ReadableSpan): number {
  return span.duration[0] * 1_000 + span.duration[1] / 1e6;
}

/**
 * The span as the batch processor and exporter take it: the same data, the sampled flag set
 * (the batch processor drops unsampled spans) and the reason it was kept as an attribute.
 */
function asKept(span: ReadableSpan, why: KeptBecause): ReadableSpan {
  const original = span.spanContext();
  const sampled: SpanContext = { ...original, traceFlags: original.traceFlags | TraceFlags.SAMPLED };
  return Object.create(span, {
    spanContext: { value: () => sampled },
    attributes: { value: { ...span.attributes, [KEPT_ATTRIBUTE]: why } },
  }) as ReadableSpan;
}

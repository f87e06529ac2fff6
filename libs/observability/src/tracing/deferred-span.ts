import {
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type Attributes,
  type AttributeValue,
  type Exception,
  type Link,
  type Span,
  type SpanAttributes,
  type SpanContext,
  type SpanStatus,
  type TimeInput,
} from '@opentelemetry/api';
import { millisToHrTime, type InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, SpanProcessor, TimedEvent } from '@opentelemetry/sdk-trace-base';
import { newSpanId, newTraceId } from './trace-ids';

/** Why a span the ratio left out was sent after all. */
export type KeptBecause = 'error' | 'slow';

/**
 * The attribute a kept span carries, saying why it is in the store although the ratio left
 * its trace out: `error` or `slow`.
 */
export const KEPT_ATTRIBUTE = 'tenk.trace.kept';

/** Where spans built after the fact go: the exporting processor, as the SDK's spans do. */
export interface AfterTheFactSink {
  processor: SpanProcessor;
  resource: Resource;
  scope: InstrumentationScope;
  /** TENK_TRACE_KEEP_ERRORS: false, nothing unsampled is ever sent. */
  keepErrors: boolean;
  /** TENK_TRACE_KEEP_SLOW_MS: a first span in this process lasting this long is sent (0: never). */
  slowMs: number;
}

/** A span the ratio left out, as a failure would need it sent. */
export interface AfterTheFactSpan {
  name: string;
  kind: SpanKind;
  traceId: string;
  spanId: string;
  /** The span it hangs under ('' or undefined: the trace's first). */
  parentSpanId?: string;
  /** The parent is in another process (a `traceparent` it sent). */
  parentIsRemote?: boolean;
  /** Epoch milliseconds, fractions allowed (performance.timeOrigin + performance.now()). */
  startTimeMs: number;
  endTimeMs: number;
  attributes: Attributes;
  status: SpanStatus;
  events?: TimedEvent[];
}

/** Epoch milliseconds now, to the microsecond (what the SDK's clock reads too). */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Sends one span built after the fact as the batch processor takes the SDK's: sampled flag set
 * (the processors drop unsampled spans), marked with why it was kept.
 */
export function sendAfterTheFact(sink: AfterTheFactSink, span: AfterTheFactSpan, why: KeptBecause): void {
  const spanContext: SpanContext = { traceId: span.traceId, spanId: span.spanId, traceFlags: TraceFlags.SAMPLED };
  const parentSpanContext: SpanContext | undefined = span.parentSpanId
    ? { traceId: span.traceId, spanId: span.parentSpanId, traceFlags: TraceFlags.NONE, isRemote: span.parentIsRemote === true }
    : undefined;
  const endTimeMs = Math.max(span.endTimeMs, span.startTimeMs);
  const readable: ReadableSpan = {
    name: span.name,
    kind: span.kind,
    spanContext: () => spanContext,
    parentSpanContext,
    startTime: millisToHrTime(span.startTimeMs),
    endTime: millisToHrTime(endTimeMs),
    duration: millisToHrTime(endTimeMs - span.startTimeMs),
    status: span.status,
    attributes: { ...span.attributes, [KEPT_ATTRIBUTE]: why },
    links: [],
    events: span.events ?? [],
    ended: true,
    resource: sink.resource,
    instrumentationScope: sink.scope,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
  sink.processor.onEnd(readable);
}

/** A TimeInput as epoch ms: a number below the process's time origin is a performance.now() reading, as the SDK reads it. */
function toEpochMs(time: TimeInput): number {
  if (time instanceof Date) return time.getTime();
  if (Array.isArray(time)) return time[0] * 1_000 + time[1] / 1e6;
  return time < performance.timeOrigin ? performance.timeOrigin + time : time;
}

/**
 * A span the ratio left out (its parent unsampled, or a new trace it did not pick): no SDK span
 * is made, only this small record of what a failure would need: ids (so the `traceparent` sent
 * on, the log lines and its children name it), its name, start time and the attributes given
 * when it started or set on it. It records nothing else (isRecording() is false, so code that
 * annotates "the active span" does nothing). When it ends with an error (or one of its children
 * here did), it is built after the fact and sent, marked `tenk.trace.kept=error`, with the ids
 * and parent it had all along: Jaeger joins it to the other processes' parts of the trace. A
 * first span in this process that lasted keepSlowMs is sent too, marked `slow`.
 */
export class DeferredSpan implements Span {
  readonly #context: SpanContext;
  readonly #sink: AfterTheFactSink;
  /** The deferred span it runs under in this process (marked when this one fails). */
  readonly #parent: DeferredSpan | undefined;
  readonly #parentSpanId: string | undefined;
  readonly #parentIsRemote: boolean;
  readonly #kind: SpanKind;
  readonly #startTimeMs: number;
  #name: string;
  /** The attributes it started with (not copied), then a copy once one is set. */
  #attributes: SpanAttributes | undefined;
  #ownAttributes = false;
  #status: SpanStatus = { code: SpanStatusCode.UNSET };
  #events: TimedEvent[] | undefined = undefined;
  #endTimeMs = 0;
  #kept: KeptBecause | undefined = undefined;
  #sent = false;

  constructor(
    sink: AfterTheFactSink,
    name: string,
    kind: SpanKind | undefined,
    attributes: SpanAttributes | undefined,
    parent: { traceId: string; spanId: string; isRemote: boolean; local: DeferredSpan | undefined } | undefined,
    startTimeMs: number = epochMs(),
  ) {
    this.#sink = sink;
    this.#name = name;
    this.#kind = kind ?? SpanKind.INTERNAL;
    this.#attributes = attributes;
    this.#startTimeMs = startTimeMs;
    this.#parent = parent?.local;
    this.#parentSpanId = parent?.spanId;
    this.#parentIsRemote = parent?.isRemote ?? false;
    this.#context = { traceId: parent?.traceId ?? newTraceId(), spanId: newSpanId(), traceFlags: TraceFlags.NONE };
  }

  spanContext(): SpanContext {
    return this.#context;
  }

  /** It will be sent when it ends (it or a child of it here failed). */
  get kept(): boolean {
    return this.#kept !== undefined;
  }

  isRecording(): boolean {
    return false;
  }

  setAttribute(key: string, value: AttributeValue | undefined): this {
    if (value === undefined) return this;
    if (!this.#ownAttributes) {
      this.#attributes = { ...this.#attributes };
      this.#ownAttributes = true;
    }
    (this.#attributes as SpanAttributes)[key] = value;
    return this;
  }

  setAttributes(attributes: SpanAttributes): this {
    for (const key of Object.keys(attributes)) this.setAttribute(key, attributes[key]);
    return this;
  }

  addEvent(name: string, attributesOrTime?: SpanAttributes | TimeInput): this {
    const attributes = typeof attributesOrTime === 'object' && !Array.isArray(attributesOrTime) && !(attributesOrTime instanceof Date);
    (this.#events ??= []).push({
      name,
      time: millisToHrTime(epochMs()),
      attributes: attributes ? (attributesOrTime as SpanAttributes) : undefined,
    });
    return this;
  }

  addLink(_link: Link): this {
    return this;
  }

  addLinks(_links: Link[]): this {
    return this;
  }

  setStatus(status: SpanStatus): this {
    this.#status = status;
    return this;
  }

  updateName(name: string): this {
    this.#name = name;
    return this;
  }

  recordException(exception: Exception): void {
    const error = typeof exception === 'string' ? { message: exception } : exception;
    this.addEvent('exception', {
      'exception.type': ('name' in error && error.name) || 'Error',
      'exception.message': error.message ?? '',
      'exception.stacktrace': ('stack' in error && error.stack) || '',
    });
  }

  end(endTime?: TimeInput): void {
    if (this.#endTimeMs !== 0) return;
    this.#endTimeMs = endTime === undefined ? epochMs() : toEpochMs(endTime);
    if (this.#status.code === SpanStatusCode.ERROR) this.keep('error');
    else if (this.#kept === undefined && this.#sink.slowMs > 0 && this.#parent === undefined) {
      if (this.#endTimeMs - this.#startTimeMs >= this.#sink.slowMs) this.keep('slow');
    }
    if (this.#kept !== undefined) this.#send();
  }

  /**
   * Sends it (when it has ended, else when it ends) and the deferred spans it ran under here:
   * a failed payment call keeps the order's request span, so the failure is seen where it sits.
   */
  keep(why: KeptBecause): void {
    if (!this.#sink.keepErrors || this.#kept === 'error') return;
    this.#kept = why;
    if (this.#endTimeMs !== 0) this.#send();
    this.#parent?.keep(why);
  }

  #send(): void {
    if (this.#sent || this.#kept === undefined) return;
    this.#sent = true;
    sendAfterTheFact(
      this.#sink,
      {
        name: this.#name,
        kind: this.#kind,
        traceId: this.#context.traceId,
        spanId: this.#context.spanId,
        parentSpanId: this.#parentSpanId,
        parentIsRemote: this.#parentIsRemote,
        startTimeMs: this.#startTimeMs,
        endTimeMs: this.#endTimeMs,
        attributes: (this.#attributes ?? {}) as Attributes,
        status: this.#status,
        events: this.#events,
      },
      this.#kept,
    );
  }
}

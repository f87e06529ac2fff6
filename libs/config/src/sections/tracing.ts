import { EnvReader } from '../env-reader';

export interface TracingConfig {
  /**
   * Where spans go: an OTLP/HTTP base URL (spans are posted to `<endpoint>/v1/traces`), such as
   * tools/infra's Jaeger at http://127.0.0.1:54318. Unset (or `off`): tracing is off, every
   * span call is the API's no-op, and nothing is exported, so the shop runs without Jaeger.
   * `npm start` and the e2e shop set it when Jaeger answers.
   */
  endpoint: string | undefined;
  /**
   * Parent-based sampling: a request that arrives with a `traceparent` follows its caller's
   * decision; a new trace is kept with this probability. 1 (all) in development and tests,
   * 0.05 in production; TENK_TRACE_SAMPLE_RATIO sets it (`0.1` or `10%`).
   */
  sampleRatio: number;
  /**
   * Errors always kept: a request the ratio left out makes no span while it runs (only its ids,
   * passed on as not sampled), and a span is built after the fact, with those ids, when it
   * fails (a 5xx, an exception, a failed job) and sent (libs/observability/src/tracing/
   * deferred-span.ts). TENK_TRACE_KEEP_ERRORS=false: nothing the ratio left out is ever sent.
   */
  keepErrors: boolean;
  /**
   * Slow requests kept too (only with keepErrors): a request the ratio left out is sent after
   * the fact when it lasted at least this long in a process (its span there, without the
   * children that did not fail). 0 (the default) turns it off; TENK_TRACE_KEEP_SLOW_MS (`1s`,
   * `750ms`) sets it, e.g. for a load run.
   */
  keepSlowMs: number;
  /** The local Jaeger that tools/infra runs, every listener on 127.0.0.1. */
  jaeger: {
    /** Its UI and HTTP query API (/api/traces). */
    uiPort: number;
    /** Its gRPC query API (jaeger_query needs a port for it; nothing in tenk uses it). */
    grpcPort: number;
    /** Its OTLP/HTTP receiver, what TENK_OTLP_ENDPOINT points at. */
    otlpPort: number;
  };
}

export function readTracing(env: EnvReader): TracingConfig {
  const environment = env.oneOf('NODE_ENV', ['development', 'test', 'production'] as const, 'development');
  const raw = env.string('TENK_OTLP_ENDPOINT', 'off');
  const endpoint = raw.trim().toLowerCase() === 'off' ? undefined : env.url('TENK_OTLP_ENDPOINT', '');
  return {
    endpoint: endpoint || undefined,
    sampleRatio: env.ratio('TENK_TRACE_SAMPLE_RATIO', environment === 'production' ? 0.05 : 1),
    keepErrors: env.bool('TENK_TRACE_KEEP_ERRORS', true),
    keepSlowMs: env.durationMs('TENK_TRACE_KEEP_SLOW_MS', 0),
    jaeger: {
      uiPort: env.servicePort('jaegerUi'),
      grpcPort: env.servicePort('jaegerGrpc'),
      otlpPort: env.servicePort('jaegerOtlp'),
    },
  };
}

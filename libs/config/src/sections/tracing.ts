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
   * Errors always kept: a trace the ratio left out is still recorded in each process (spans
   * made but not sent), and the process's part of it is sent when one of its spans failed (a
   * 5xx, an exception, a failed job). Costs the recording of every span (see
   * libs/observability/src/tracing/kept-traces.ts); TENK_TRACE_KEEP_ERRORS=false turns it off,
   * and unsampled spans are then not recorded at all.
   */
  keepErrors: boolean;
  /**
   * Slow traces kept too (only with keepErrors): a process's part of an unsampled trace is
   * sent when its first span there lasted at least this long. 0 (the default) turns it off;
   * TENK_TRACE_KEEP_SLOW_MS (`1s`, `750ms`) sets it, e.g. for a load run.
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

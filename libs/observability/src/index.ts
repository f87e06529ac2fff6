export { ObservabilityModule } from './observability.module';
export { OBSERVABILITY_OPTIONS, type ObservabilityOptions } from './observability.module-definition';
export { MetricsService } from './metrics.service';
export { HealthRegistry, type ReadinessCheck, type CheckOutcome } from './health/health-registry';
export { createLogger, loggerOptions, REDACTED_PATHS, type Logger, type LoggerSettings } from './logger';
export { startService, startMicroservices, type ServiceDefinition } from './start-service';
export { PerRoute } from './per-route';
export { PublicRoute, PUBLIC_ROUTE } from './public-route';
export { isForwarded, isDirectFromLoopback, isLoopbackAddress, notFoundMessage, type RequestLike } from './direct-request';
export { createHttpAdapter, DEFAULT_BODY_LIMIT, type HttpAdapterSettings } from './http/http-adapter';
export { setCookie, clearCookie, rawResponse, type AnyResponse, type CookieOptions } from './http/cookies';
export {
  startTracing,
  stopTracing,
  flushTracing,
  tracingEnabled,
  startSpan,
  inSpan,
  markFailed,
  annotateActiveSpan,
  activeTraceIds,
  injectTraceContext,
  extractTraceContext,
  currentTraceparent,
  traceparentOf,
  untraced,
  SpanKind,
  SpanStatusCode,
  type Span,
  type Context,
  type TraceCarrier,
  type StartTracingOptions,
} from './tracing/tracing';
export { HttpTracingMiddleware, type RouteOf } from './tracing/http-tracing.middleware';
export {
  JaegerQuery,
  isTraceId,
  toTraceView,
  type TraceView,
  type TraceSpan,
  type TraceSummary,
  type JaegerTrace,
} from './tracing/jaeger-query';
export { renderWaterfall, patternAttributes, formatMs } from './tracing/trace-waterfall';

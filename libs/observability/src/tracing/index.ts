/**
 * `@tenk/observability/tracing`: the tracing half of this lib without its Nest parts, for
 * processes that are not Nest apps (the balancer). Nest services use `@tenk/observability`.
 */
export * from './tracing';
export * from './jaeger-query';
export { renderWaterfall, patternAttributes, formatMs } from './trace-waterfall';

export { ResilienceModule } from './resilience.module';
export { ResilienceService, LAYERS, type Layer, type CallOptions } from './resilience.service';
export { PolicyRegistry } from './policy-registry';
export { applyResilience } from './apply-resilience';
export { currentCallSignal } from './call-signal';
export { CircuitBreaker, type CircuitBreakerOptions } from './decorators/circuit-breaker.decorator';
export { Retry, type RetryOptions } from './decorators/retry.decorator';
export { Timeout } from './decorators/timeout.decorator';
export { Bulkhead } from './decorators/bulkhead.decorator';
export {
  CircuitOpenError,
  CallTimeoutError,
  BulkheadFullError,
  isCircuitOpenError,
  isCallTimeoutError,
  isBulkheadFullError,
  isRejection,
} from './errors';
export type { BreakerState, BreakerTransition, WindowSnapshot } from './breaker/breaker-state';
export type { BreakerSnapshot } from './breaker/managed-breaker';
export {
  LoadShedder,
  SHED_PRIORITIES,
  SUSTAINED_SAMPLES,
  boundsFor,
  type ShedPriority,
  type LoadShedderSettings,
  type ShedBounds,
} from './load-shedding/load-shedder';
export { EventLoopPressure, type PressureSample, type PressureSource } from './load-shedding/event-loop-pressure';
export { sheddingMiddleware } from './load-shedding/shedding.middleware';

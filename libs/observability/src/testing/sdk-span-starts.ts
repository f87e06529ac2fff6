import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/**
 * Counts the spans the OpenTelemetry SDK is asked to start, through every tracer the provider
 * hands out from now on: how a test shows that an unsampled request makes no span at all.
 * A Jest spy, undone by `jest.restoreAllMocks()`.
 */
export function countSdkSpanStarts(): { count: number } {
  const counter = { count: 0 };
  const getTracer = NodeTracerProvider.prototype.getTracer;
  jest.spyOn(NodeTracerProvider.prototype, 'getTracer').mockImplementation(function (this: NodeTracerProvider, ...args) {
    const tracer = getTracer.apply(this, args);
    const startSpan = tracer.startSpan.bind(tracer);
    tracer.startSpan = (...startArgs) => {
      counter.count++;
      return startSpan(...startArgs);
    };
    return tracer;
  });
  return counter;
}

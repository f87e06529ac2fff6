import type { TenkConfig } from '@tenk/config';
import { JaegerQuery } from '@tenk/observability/tracing';
import type { SlowRequest } from '../engine/slowest-requests';
import type { SlowRequestResult } from './load-result';

/** The shop's exporters send every second; a kept trace is decided when its request ends. */
const EXPORT_DELAY_MS = 2_500;

/**
 * The run's slowest requests with their traces: the map's trace page for each (it draws the
 * trace from Jaeger's query API) and whether Jaeger has it. A request the sampling ratio left
 * out is in Jaeger only if it failed, or was slower than TENK_TRACE_KEEP_SLOW_MS (when set).
 * `inJaeger` is null when nothing was traced or Jaeger does not answer.
 */
export async function linkSlowRequests(slowest: SlowRequest[], config: TenkConfig): Promise<SlowRequestResult[]> {
  const viewer = (traceId: string) => `http://127.0.0.1:${config.services.mapPort}/traces/${traceId}`;
  const traced = slowest.filter((request) => request.traceId !== null);
  const jaeger = new JaegerQuery(`http://127.0.0.1:${config.tracing.jaeger.uiPort}`);
  const answers =
    traced.length > 0 &&
    (await fetch(`${jaeger.base}/api/services`, { signal: AbortSignal.timeout(2_000) }).then(
      (response) => response.ok,
      () => false,
    ));
  if (answers) await new Promise((resolve) => setTimeout(resolve, EXPORT_DELAY_MS));
  return Promise.all(
    slowest.map(async (request) => ({
      ...request,
      traceUrl: request.traceId === null ? null : viewer(request.traceId),
      inJaeger: request.traceId === null || !answers ? null : await jaeger.has(request.traceId),
    })),
  );
}

/** One line per slow request for the console and the notes. */
export function describeSlowRequest(request: SlowRequestResult): string {
  const trace =
    request.traceUrl === null
      ? 'no trace (tracing off: no traceresponse header)'
      : request.inJaeger === false
        ? `trace ${request.traceId} not kept (not sampled, did not fail)`
        : `${request.traceUrl}${request.inJaeger === null ? ' (Jaeger not checked)' : ''}`;
  return `${request.endpoint} ${request.outcome} in ${request.latencyMs} ms at ${request.atSeconds} s: ${trace}`;
}

/** One span to send, as a test describes it. Times in ms before now. */
export interface TestSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  startMsAgo: number;
  endMsAgo: number;
  attributes?: Record<string, string | number>;
  /** Status ERROR, with this message. */
  failed?: string;
}

/**
 * Sends spans to an OTLP/HTTP receiver as JSON (`<url>` is the full `/v1/traces` URL), as a
 * service's exporter would: for tests that read traces back from tools/infra's real Jaeger
 * without running the SDK's exporter inside Jest.
 */
export async function sendOtlpSpans(url: string, spans: TestSpan[]): Promise<void> {
  const now = BigInt(Date.now()) * 1_000_000n;
  const at = (msAgo: number) => String(now - BigInt(msAgo) * 1_000_000n);
  const services = [...new Set(spans.map((span) => span.service))];
  const body = {
    resourceSpans: services.map((service) => ({
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeSpans: [
        {
          scope: { name: 'tenk-test' },
          spans: spans
            .filter((span) => span.service === service)
            .map((span) => ({
              traceId: span.traceId,
              spanId: span.spanId,
              ...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}),
              name: span.name,
              kind: 2,
              startTimeUnixNano: at(span.startMsAgo),
              endTimeUnixNano: at(span.endMsAgo),
              attributes: Object.entries(span.attributes ?? {}).map(([key, value]) => ({
                key,
                value: typeof value === 'number' ? { intValue: String(value) } : { stringValue: value },
              })),
              ...(span.failed ? { status: { code: 2, message: span.failed } } : {}),
            })),
        },
      ],
    })),
  };
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`the OTLP receiver at ${url} answered ${response.status}: ${await response.text()}`);
}

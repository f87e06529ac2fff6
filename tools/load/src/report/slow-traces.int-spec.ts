import { randomBytes } from 'node:crypto';
import { loadConfig } from '@tenk/config';
import { eventually, sendOtlpSpans } from '@tenk/testing';
import type { SlowRequest } from '../engine/slowest-requests';
import { describeSlowRequest, linkSlowRequests } from './slow-traces';

const config = loadConfig();
const JAEGER = `http://127.0.0.1:${config.tracing.jaeger.uiPort}`;

const slow = (traceId: string | null, latencyMs: number): SlowRequest => ({
  endpoint: 'GET /products',
  outcome: '200',
  latencyMs,
  atSeconds: 3,
  traceId,
  sampled: false,
});

/**
 * The load report's slow requests against tools/infra's real Jaeger: a trace the shop sent is
 * linked and found, one it did not keep is said to be not kept, a request without a trace id
 * has no link.
 */
describe("the load report's slowest requests and their traces", () => {
  it('links each to the map page of its trace and asks Jaeger which ones it has', async () => {
    const up = await fetch(`${JAEGER}/api/services`, { signal: AbortSignal.timeout(2_000) }).then(
      (response) => response.ok,
      () => false,
    );
    if (!up) throw new Error(`Jaeger does not answer at ${JAEGER}: npm run infra -- up jaeger`);
    const kept = randomBytes(16).toString('hex');
    await sendOtlpSpans(`http://127.0.0.1:${config.tracing.jaeger.otlpPort}/v1/traces`, [
      {
        service: 'balancer',
        traceId: kept,
        spanId: randomBytes(8).toString('hex'),
        name: 'GET api (load test)',
        startMsAgo: 900,
        endMsAgo: 0,
      },
    ]);
    await eventually(async () => (await fetch(`${JAEGER}/api/traces/${kept}`)).ok, `Jaeger never had trace ${kept}`, 20_000, 250);

    const missing = randomBytes(16).toString('hex');
    const linked = await linkSlowRequests([slow(kept, 900), slow(missing, 800), slow(null, 700)], config);
    expect(linked.map((request) => [request.traceUrl, request.inJaeger])).toEqual([
      [`http://127.0.0.1:${config.services.mapPort}/traces/${kept}`, true],
      [`http://127.0.0.1:${config.services.mapPort}/traces/${missing}`, false],
      [null, null],
    ]);
    expect(linked.map(describeSlowRequest)).toEqual([
      `GET /products 200 in 900 ms at 3 s: http://127.0.0.1:${config.services.mapPort}/traces/${kept}`,
      `GET /products 200 in 800 ms at 3 s: trace ${missing} not kept (not sampled, did not fail)`,
      'GET /products 200 in 700 ms at 3 s: no trace (tracing off: no traceresponse header)',
    ]);
  });
});

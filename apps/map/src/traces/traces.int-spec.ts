import { type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { ConfigModule, loadConfig } from '@tenk/config';
import { eventually, sendOtlpSpans } from '@tenk/testing';
import { TracesController } from './traces.controller';
import { createHttpAdapter } from '@tenk/observability';

const config = loadConfig();
const JAEGER = `http://127.0.0.1:${config.tracing.jaeger.uiPort}`;
const OTLP = `http://127.0.0.1:${config.tracing.jaeger.otlpPort}/v1/traces`;

/** A two-span trace, as the shop's exporters would send it: balancer (failed, 95 s) and api. */
function sendTrace(traceId: string, balancerSpan: string): Promise<void> {
  return sendOtlpSpans(OTLP, [
    {
      service: 'balancer',
      traceId,
      spanId: balancerSpan,
      name: 'POST api (map test)',
      startMsAgo: 95_000,
      endMsAgo: 0,
      attributes: { 'tenk.balancer.peer': '127.0.0.1:3001', 'http.response.status_code': 503 },
      failed: 'answered 503',
    },
    {
      service: 'api',
      traceId,
      spanId: randomBytes(8).toString('hex'),
      parentSpanId: balancerSpan,
      name: 'POST /orders (map test)',
      startMsAgo: 94_000,
      endMsAgo: 1_000,
      attributes: { 'tenk.shard': 'shard_2', 'tenk.trace.kept': 'error' },
    },
  ]);
}

/**
 * The map's trace viewer against tools/infra's real Jaeger: a trace sent over OTLP is drawn from
 * Jaeger's query API, listed among the slow and failed requests; bad ids are refused.
 */
describe("the map's trace pages", () => {
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    const up = await fetch(`${JAEGER}/api/services`, { signal: AbortSignal.timeout(2_000) }).then(
      (response) => response.ok,
      () => false,
    );
    if (!up) throw new Error(`Jaeger does not answer at ${JAEGER}: npm run infra -- up jaeger`);
    const moduleRef = await Test.createTestingModule({
      imports: [ConfigModule.forRoot(config)],
      controllers: [TracesController],
    }).compile();
    app = moduleRef.createNestApplication(createHttpAdapter(), { logger: false });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(() => app?.close());

  it('draws a trace from Jaeger as a waterfall with its attributes, and lists it as slow and failed', async () => {
    const traceId = randomBytes(16).toString('hex');
    const balancerSpan = randomBytes(8).toString('hex');
    await sendTrace(traceId, balancerSpan);
    let page = '';
    await eventually(
      async () => {
        const response = await fetch(`${base}/traces/${traceId}`);
        page = await response.text();
        return response.status === 200;
      },
      `the map never drew trace ${traceId}`,
      20_000,
      250,
    );
    expect(page).toContain('<svg');
    expect(page).toContain('balancer</tspan> POST api (map test)');
    expect(page).toContain('api</tspan> POST /orders (map test)');
    expect(page).toContain('shard=shard_2');
    expect(page).toContain('balancer.peer=127.0.0.1:3001');
    expect(page).toContain('<g class="failed">');

    const json = (await (await fetch(`${base}/traces/${traceId}/json`)).json()) as { spans: Array<{ name: string; parent?: string }> };
    expect(json.spans.map((span) => span.name)).toEqual(['POST api (map test)', 'POST /orders (map test)']);
    expect(json.spans[1].parent).toBe(balancerSpan);

    const list = await (await fetch(`${base}/traces?min=90000`)).text();
    const links = list.match(new RegExp(`href="/traces/${traceId}"`, 'g')) ?? [];
    expect(links).toHaveLength(2); // among the slow ones and the failed ones
  });

  it('refuses what is not a trace id (400), says when Jaeger has no such trace (404), checks the threshold', async () => {
    const bad = await fetch(`${base}/traces/..%2f..%2fetc`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/not a trace id: expected 32 lowercase hex characters/);
    const missing = await fetch(`${base}/traces/${randomBytes(16).toString('hex')}`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toMatch(/Jaeger has no trace/);
    expect((await fetch(`${base}/traces?min=soon`)).status).toBe(400);
  });
});

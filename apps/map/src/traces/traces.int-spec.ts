import { type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { ConfigModule, loadConfig } from '@tenk/config';
import { eventually } from '@tenk/testing';
import { TracesController } from './traces.controller';

const config = loadConfig();
const JAEGER = `http://127.0.0.1:${config.tracing.jaeger.uiPort}`;
const OTLP = `http://127.0.0.1:${config.tracing.jaeger.otlpPort}/v1/traces`;

const attribute = (key: string, value: string | number) => ({
  key,
  value: typeof value === 'number' ? { intValue: String(value) } : { stringValue: value },
});

/** Sends a two-span trace to tools/infra's Jaeger over OTLP/HTTP JSON, as the shop's exporter would. */
async function sendTrace(traceId: string, balancerSpan: string): Promise<void> {
  const now = BigInt(Date.now()) * 1_000_000n;
  const at = (msAgo: number) => String(now - BigInt(msAgo) * 1_000_000n);
  const resource = (service: string) => ({ attributes: [attribute('service.name', service)] });
  const body = {
    resourceSpans: [
      {
        resource: resource('balancer'),
        scopeSpans: [
          {
            scope: { name: 'tenk' },
            spans: [
              {
                traceId,
                spanId: balancerSpan,
                name: 'POST api (map test)',
                kind: 2,
                startTimeUnixNano: at(95_000),
                endTimeUnixNano: at(0),
                attributes: [attribute('tenk.balancer.peer', '127.0.0.1:3001'), attribute('http.response.status_code', 503)],
                status: { code: 2, message: 'answered 503' },
              },
            ],
          },
        ],
      },
      {
        resource: resource('api'),
        scopeSpans: [
          {
            scope: { name: 'tenk' },
            spans: [
              {
                traceId,
                spanId: randomBytes(8).toString('hex'),
                parentSpanId: balancerSpan,
                name: 'POST /orders (map test)',
                kind: 2,
                startTimeUnixNano: at(94_000),
                endTimeUnixNano: at(1_000),
                attributes: [attribute('tenk.shard', 'shard_2'), attribute('tenk.trace.kept', 'error')],
              },
            ],
          },
        ],
      },
    ],
  };
  const response = await fetch(OTLP, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`Jaeger's OTLP receiver answered ${response.status}: ${await response.text()}`);
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
    app = moduleRef.createNestApplication({ logger: false });
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

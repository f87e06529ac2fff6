import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeTestVideo } from '@tenk/media';
import { loadConfig } from '@tenk/config';
import { eventually } from '@tenk/testing';
import { E2E_ENV } from '../support/e2e-env';
import { paymentFaults } from '../support/control-planes';
import { ShopClient } from './access-support';

const config = loadConfig({ ...process.env, ...E2E_ENV });
const JAEGER = `http://127.0.0.1:${config.tracing.jaeger.uiPort}`;

interface JaegerSpan {
  spanID: string;
  operationName: string;
  references: Array<{ refType: string; spanID: string }>;
  startTime: number;
  processID: string;
  tags: Array<{ key: string; value: unknown }>;
}
interface JaegerTrace {
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

/** A span of the trace as the test reads it: its service, name, parent and attributes. */
interface Hop {
  service: string;
  name: string;
  id: string;
  parent: string | undefined;
  start: number;
  tags: Record<string, unknown>;
}

async function readTrace(traceId: string): Promise<Hop[]> {
  const response = await fetch(`${JAEGER}/api/traces/${traceId}`, { signal: AbortSignal.timeout(5_000) });
  if (response.status === 404) return [];
  if (!response.ok) throw new Error(`Jaeger's query API answered ${response.status}`);
  const { data } = (await response.json()) as { data: JaegerTrace[] };
  const trace = data[0];
  if (!trace) return [];
  return trace.spans.map((span) => ({
    service: trace.processes[span.processID].serviceName,
    name: span.operationName,
    id: span.spanID,
    parent: span.references.find((reference) => reference.refType === 'CHILD_OF')?.spanID,
    start: span.startTime,
    tags: Object.fromEntries(span.tags.map((tag) => [tag.key, tag.value])),
  }));
}

/** A new sampled trace the client starts: the balancer continues it, so its id is known here. */
function clientTrace(): { traceId: string; clientSpan: string; traceparent: string } {
  const traceId = randomBytes(16).toString('hex');
  const clientSpan = randomBytes(8).toString('hex');
  return { traceId, clientSpan, traceparent: `00-${traceId}-${clientSpan}-01` };
}

/** A trace the client started and did not sample: parent-based sampling leaves it out everywhere. */
function unsampledClientTrace(): { traceId: string; clientSpan: string; traceparent: string } {
  const trace = clientTrace();
  return { ...trace, traceparent: trace.traceparent.replace(/-01$/, '-00') };
}

/** Polls Jaeger until `complete` holds for the trace's spans; the error lists what it had. */
async function waitForTrace(traceId: string, complete: (hops: Hop[]) => boolean, what: string): Promise<Hop[]> {
  let hops: Hop[] = [];
  await eventually(
    async () => {
      hops = await readTrace(traceId);
      return complete(hops);
    },
    `trace ${traceId} never reached ${what}`,
    120_000,
    1_000,
  ).catch((error: Error) => {
    throw new Error(`${error.message}; it has: ${hops.map((hop) => `${hop.service}:${hop.name}`).join(', ') || 'nothing'}`);
  });
  return hops;
}

const jaegerRuns = async () =>
  (await fetch(`${JAEGER}/api/services`, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined))?.ok === true;

/**
 * One order, one trace (issue 18): an order placed through the balancer is read back from
 * Jaeger's query API with every hop in it: the balancer's span, the api's POST /orders (shard,
 * the payment call's breaker state), the outbox relay's publish to orders.events, and the
 * mailer's consumer, its Bull job and the SMTP send, each under the one before it, and the
 * reports consumer beside the mailer's. And a video upload: api -> Bull video -> media-worker.
 */
describe('tracing: one order from the balancer to the confirmation mail', () => {
  beforeAll(async () => {
    if (!(await jaegerRuns()))
      throw new Error(`Jaeger does not answer at ${JAEGER}: run \`npm run infra -- up jaeger\` (the e2e shop traces to it when it runs)`);
  });

  it('finds every hop of an order in one trace, in order, with the patterns as attributes', async () => {
    const alice = await ShopClient.customer('tracing');
    const products = await alice.request<{ items: Array<{ id: string; stock: number }> }>('GET', '/products?limit=50&sort=newest&page=2');
    const product = products.body.items.find((item) => item.stock > 50);
    expect(product).toBeDefined();
    // The client starts the trace (sampled): the balancer continues it, so its id is known here.
    const traceId = randomBytes(16).toString('hex');
    const clientSpan = randomBytes(8).toString('hex');
    const reply = await alice.request<{ id: string }>('POST', '/orders', {
      body: { lines: [{ productId: product!.id, quantity: 1 }] },
      headers: { 'Idempotency-Key': randomUUID(), traceparent: `00-${traceId}-${clientSpan}-01` },
    });
    expect(reply.status).toBe(201);

    let hops: Hop[] = [];
    const find = (service: string, name: string | RegExp) =>
      hops.find((hop) => hop.service === service && (typeof name === 'string' ? hop.name === name : name.test(hop.name)));
    await eventually(
      async () => {
        hops = await readTrace(traceId);
        return (
          find('mailer', 'smtp send') !== undefined &&
          find('api', 'orders.events publish') !== undefined &&
          find('reports', 'orders.events process') !== undefined
        );
      },
      `trace ${traceId} never reached the confirmation mail and the reports consumer`,
      90_000,
      1_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}; it has: ${hops.map((hop) => `${hop.service}:${hop.name}`).join(', ') || 'nothing'}`);
    });

    const balancer = find('balancer', /^POST /);
    const api = find('api', 'POST /orders');
    const payment = find('api', /^resilience payments/);
    const publish = find('api', 'orders.events publish');
    const consume = find('mailer', 'orders.events process');
    const job = find('mailer', 'mail process');
    const smtp = find('mailer', 'smtp send');
    for (const [name, hop] of Object.entries({ balancer, api, payment, publish, consume, job, smtp }))
      expect([name, hop]).toEqual([name, expect.anything()]);

    // Each hop under the one before it: the parent links make one tree, not five traces.
    const ancestors = (hop: Hop): string[] => {
      const chain: string[] = [];
      for (let at: Hop | undefined = hop; at?.parent; at = hops.find((other) => other.id === at!.parent)) chain.push(at.parent);
      return chain;
    };
    expect(balancer!.parent).toBe(clientSpan);
    expect(api!.parent).toBe(balancer!.id);
    expect(ancestors(payment!)).toContain(api!.id);
    expect(ancestors(publish!)).toContain(api!.id);
    expect(consume!.parent).toBe(publish!.id);
    expect(job!.parent).toBe(consume!.id);
    expect(ancestors(smtp!)).toContain(job!.id);
    const order = [balancer!, api!, publish!, consume!, job!, smtp!].map((hop) => hop.start);
    expect([...order].sort((a, b) => a - b)).toEqual(order);

    // The patterns, as attributes.
    expect(balancer!.tags).toMatchObject({ 'tenk.balancer.upstream': 'api', 'tenk.balancer.attempt': 1, 'http.response.status_code': 201 });
    expect(balancer!.tags['tenk.balancer.algorithm']).toEqual(expect.any(String));
    expect(balancer!.tags['tenk.balancer.peer']).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(api!.tags['tenk.shard']).toMatch(/^shard_\d$/);
    expect(api!.tags['tenk.shard.bucket']).toEqual(expect.any(Number));
    expect(payment!.tags['tenk.breaker.state']).toMatch(/^(closed|open|half-open|halfOpen|isolated)$/i);
    expect(publish!.tags).toMatchObject({ 'messaging.destination.name': config.messaging.kafka.ordersTopic, 'tenk.outbox.attempt': 1 });
    expect(publish!.tags['tenk.outbox.wait_ms']).toEqual(expect.any(Number));
    expect(consume!.tags['messaging.consumer.group.name']).toMatch(/mailer$/);
    expect(job!.tags['tenk.queue.wait_ms']).toEqual(expect.any(Number));
    // The reports consumer reads the same event under the same producer span.
    expect(find('reports', 'orders.events process')!.parent).toBe(publish!.id);
  });

  it('keeps an unsampled request that failed (balancer and api, marked kept for an error) and drops an unsampled one that succeeded', async () => {
    const bob = await ShopClient.customer('tracing-errors');
    const products = await bob.request<{ items: Array<{ id: string; stock: number }> }>('GET', '/products?limit=50&sort=newest');
    const product = products.body.items.find((item) => item.stock > 50);
    expect(product).toBeDefined();
    // Both traces are left out by the client's own decision (flags 00), which every hop follows.
    const succeeded = unsampledClientTrace();
    const ok = await bob.request('GET', `/products/${product!.id}`, { headers: { traceparent: succeeded.traceparent } });
    expect(ok.status).toBe(200);
    const failed = unsampledClientTrace();
    await paymentFaults({ refuseConnections: true });
    try {
      const reply = await bob.request('POST', '/orders', {
        body: { lines: [{ productId: product!.id, quantity: 1 }] },
        headers: { 'Idempotency-Key': randomUUID(), traceparent: failed.traceparent },
      });
      expect(reply.status).toBe(503);
    } finally {
      await paymentFaults('none');
    }

    const hops = await waitForTrace(
      failed.traceId,
      (spans) =>
        spans.some((hop) => hop.service === 'balancer') && spans.some((hop) => hop.service === 'api' && hop.name === 'POST /orders'),
      'the balancer and the api',
    );
    const balancer = hops.find((hop) => hop.service === 'balancer' && hop.parent === failed.clientSpan);
    const api = hops.find((hop) => hop.service === 'api' && hop.name === 'POST /orders' && hop.parent === balancer?.id);
    expect(balancer?.tags).toMatchObject({ 'http.response.status_code': 503, error: true, 'tenk.trace.kept': 'error' });
    expect(api?.tags).toMatchObject({ 'http.response.status_code': 503, error: true, 'tenk.trace.kept': 'error' });
    // The payment call's failure, under the api's span.
    expect(hops.some((hop) => hop.service === 'api' && /^resilience payments/.test(hop.name) && hop.tags['error'] === true)).toBe(true);
    // The successful request ended before the failing one began, in the same processes, whose
    // exporters send in order: had it been kept, it would be in Jaeger by now.
    expect(await readTrace(succeeded.traceId)).toEqual([]);
  });

  it('follows a video upload: api -> Bull video -> media-worker (ffprobe, transcode, each rendition)', async () => {
    const work = mkdtempSync(path.join(os.tmpdir(), 'tenk-e2e-tracing-'));
    try {
      const owner = await ShopClient.customer('tracing-video');
      const source = readFileSync(await makeTestVideo(path.join(work, 'testsrc-2s.mp4'), { seconds: 2, width: 640, height: 360 }));
      const { traceId, clientSpan, traceparent } = clientTrace();
      const upload = await owner.request('POST', '/videos', { raw: { contentType: 'video/mp4', data: source }, headers: { traceparent } });
      expect(upload.status).toBe(202);
      // The job's span ends last (after its renditions are stored): once it is there, all are.
      const done = (hops: Hop[]) => hops.some((hop) => hop.service === 'media-worker' && hop.name === 'video process');
      const hops = await waitForTrace(traceId, done, 'the media-worker');
      const one = (service: string, name: string | RegExp) =>
        hops.find((hop) => hop.service === service && (typeof name === 'string' ? hop.name === name : name.test(hop.name)));
      const balancer = one('balancer', /^POST /);
      const api = one('api', 'POST /videos');
      const job = one('media-worker', 'video process');
      const probe = one('media-worker', 'ffprobe');
      const transcode = one('media-worker', 'ffmpeg transcode');
      expect(balancer?.parent).toBe(clientSpan);
      expect(api?.parent).toBe(balancer?.id);
      expect(job?.parent).toBe(api?.id);
      expect(job?.tags['tenk.queue.wait_ms']).toEqual(expect.any(Number));
      expect(probe?.parent).toBe(job?.id);
      expect(probe?.tags['tenk.video.duration_s']).toEqual(expect.any(Number));
      expect(transcode?.parent).toBe(job?.id);
      const renditions = hops.filter((hop) => hop.name.startsWith('store rendition'));
      expect(renditions.length).toBeGreaterThan(0);
      expect(renditions.every((hop) => hop.parent === job?.id)).toBe(true);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

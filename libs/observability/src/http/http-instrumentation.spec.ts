import type { HttpAdapterHost } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import type { Params } from 'nestjs-pino';
import { Writable } from 'node:stream';
import pino from 'pino';
import { AccessLogMiddleware } from '../access-log';
import { HttpMetricsMiddleware } from '../http-metrics.middleware';
import { MetricsService } from '../metrics.service';
import { HttpTracingMiddleware } from '../tracing/http-tracing.middleware';
import { HttpInstrumentation } from './http-instrumentation';

describe('HttpInstrumentation', () => {
  const lines: Array<Record<string, unknown>> = [];
  let metrics: MetricsService;
  let fastify: FastifyInstance;

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const adapter = new FastifyAdapter();
    metrics = new MetricsService();
    const params = { pinoHttp: { logger: pino({ base: null }, sink) } } as Params;
    new HttpInstrumentation(
      { httpAdapter: adapter } as unknown as HttpAdapterHost,
      new AccessLogMiddleware(params),
      new HttpTracingMiddleware(),
      new HttpMetricsMiddleware(metrics),
    ).onModuleInit();
    fastify = adapter.getInstance<FastifyInstance>();
    fastify.get('/products/:id', async () => ({ ok: true }));
    fastify.get('/health/live', async () => ({ status: 'ok' }));
    await fastify.ready();
  });

  afterAll(() => fastify.close());

  const count = async (labels: string) => {
    const text = await metrics.registry.metrics();
    const line = text.split('\n').find((candidate) => candidate.startsWith(`http_server_request_duration_seconds_count{${labels}}`));
    return line === undefined ? 0 : Number(line.split(' ').pop());
  };

  it('times every request by method, route template and status; a request no route matched is "unmatched"', async () => {
    await fastify.inject({ url: '/products/7' });
    await fastify.inject({ url: '/products/8' });
    await fastify.inject({ url: '/health/live' });
    await fastify.inject({ url: '/nowhere' });
    expect(await count('method="GET",route="/products/:id",status="200"')).toBe(2);
    expect(await count('method="GET",route="/health/live",status="200"')).toBe(1);
    expect(await count('method="GET",route="unmatched",status="404"')).toBe(1);
  });

  it('writes the access line and echoes the request id, but not for probes', async () => {
    lines.length = 0;
    const response = await fastify.inject({ url: '/products/9', headers: { 'x-request-id': 'r-9' } });
    await fastify.inject({ url: '/health/live' });
    expect(response.headers['x-request-id']).toBe('r-9');
    expect(lines).toEqual([
      expect.objectContaining({
        msg: 'request completed',
        req: expect.objectContaining({ id: 'r-9', url: '/products/9' }),
        res: { statusCode: 200 },
      }),
    ]);
  });
});

import { DynamicModule, Global, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { TENK_CONFIG, type TenkConfig } from '@tenk/config';
import { HealthController } from './health/health.controller';
import { HealthRegistry } from './health/health-registry';
import { HttpMetricsMiddleware } from './http-metrics.middleware';
import { loggerOptions } from './logger';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';
import { HttpTracingMiddleware } from './tracing/http-tracing.middleware';
import { OBSERVABILITY_OPTIONS_TYPE, ObservabilityConfigurableModule } from './observability.module-definition';

const QUIET_PATHS = /^\/(health|metrics)(\/|$|\?)/;

/**
 * Structured logs (pino, one JSON object per line, with the request id and trace ids), a
 * span per HTTP request when tracing is on (startService starts it), Prometheus metrics
 * at /metrics, and /health/live + /health/ready fed by the HealthRegistry. Every tenk service
 * imports it once, in its root module.
 */
@Global()
@Module({})
export class ObservabilityModule extends ObservabilityConfigurableModule implements NestModule {
  static override forRoot(options: typeof OBSERVABILITY_OPTIONS_TYPE): DynamicModule {
    const base = super.forRoot(options);
    const metrics = new MetricsService();
    metrics.setService(options.service);
    return {
      ...base,
      global: true,
      imports: [
        TerminusModule.forRoot({ logger: false }),
        LoggerModule.forRootAsync({
          inject: [TENK_CONFIG],
          useFactory: (config: TenkConfig) => ({
            pinoHttp: {
              ...loggerOptions({ service: options.service, level: config.runtime.logLevel }),
              genReqId: requestId,
              autoLogging: { ignore: (req: IncomingMessage) => QUIET_PATHS.test(req.url ?? '') },
              customLogLevel: (_req: IncomingMessage, res: ServerResponse, error?: Error) =>
                error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
              serializers: {
                req: (req: { id: string; method: string; url: string; remoteAddress?: string }) => ({
                  id: req.id,
                  method: req.method,
                  url: req.url,
                  remoteAddress: req.remoteAddress,
                }),
                res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
              },
            },
          }),
        }),
      ],
      controllers: [HealthController, MetricsController],
      providers: [
        ...(base.providers ?? []),
        { provide: MetricsService, useValue: metrics },
        HealthRegistry,
        HttpMetricsMiddleware,
        HttpTracingMiddleware,
      ],
      exports: [MetricsService, HealthRegistry, LoggerModule],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpTracingMiddleware, HttpMetricsMiddleware).forRoutes('*');
  }
}

/** Keeps the caller's X-Request-Id (the balancer sets one) so a request is traceable end to end. */
function requestId(req: IncomingMessage, res: ServerResponse): string {
  const header = req.headers['x-request-id'];
  const id = typeof header === 'string' && /^[\w.-]{1,128}$/.test(header) ? header : randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}

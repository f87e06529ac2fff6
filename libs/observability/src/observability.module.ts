import { DynamicModule, Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import pino from 'pino';
import { TENK_CONFIG, type TenkConfig } from '@tenk/config';
import { HealthController } from './health/health.controller';
import { HealthRegistry } from './health/health-registry';
import { AccessLogMiddleware } from './access-log';
import { HttpMetricsMiddleware } from './http-metrics.middleware';
import { HttpInstrumentation } from './http/http-instrumentation';
import { loggerOptions } from './logger';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';
import { HttpTracingMiddleware } from './tracing/http-tracing.middleware';
import { OBSERVABILITY_OPTIONS_TYPE, ObservabilityConfigurableModule } from './observability.module-definition';

/**
 * Structured logs (pino, one JSON object per line, with the request id and trace ids): an
 * access line per HTTP request, a span per HTTP request when tracing is on (startService starts
 * it), both run by HttpInstrumentation as the HTTP adapter's first request hook, Prometheus
 * metrics at /metrics, and /health/live + /health/ready fed by the HealthRegistry. Every tenk service
 * imports it once, in its root module.
 */
@Global()
@Module({})
export class ObservabilityModule extends ObservabilityConfigurableModule {
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
          // One root logger, writing asynchronously (a request does not wait for its log line's
          // write): AccessLogMiddleware writes the access lines and binds each request's child
          // logger for PinoLogger, so nestjs-pino's own pino-http middleware is not installed.
          useFactory: (config: TenkConfig) => ({
            pinoHttp: {
              logger: pino(
                loggerOptions({ service: options.service, level: config.runtime.logLevel }),
                pino.destination({ dest: 1, sync: false }),
              ),
            },
            useExisting: true,
            forRoutes: [],
          }),
        }),
      ],
      controllers: [HealthController, MetricsController],
      providers: [
        ...(base.providers ?? []),
        { provide: MetricsService, useValue: metrics },
        HealthRegistry,
        AccessLogMiddleware,
        HttpMetricsMiddleware,
        HttpTracingMiddleware,
        HttpInstrumentation,
      ],
      exports: [MetricsService, HealthRegistry, LoggerModule],
    };
  }
}

import { Global, Injectable, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { Counter, Gauge } from 'prom-client';
import { TENK_CONFIG, type TenkConfig } from '@tenk/config';
import { MetricsService } from '@tenk/observability';
import { LoadShedder, SHED_PRIORITIES } from '@tenk/resilience';

/**
 * Starts the api's LoadShedder with the app and stops it on shutdown, logs when the set of
 * shed priorities changes, and exports the sampler's view to Prometheus (read when scraped,
 * nothing per request).
 */
@Injectable()
export class LoadSheddingLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    private readonly shedder: LoadShedder,
    private readonly metrics: MetricsService,
    private readonly logger: PinoLogger,
  ) {
    logger.setContext('LoadShedder');
  }

  onModuleInit(): void {
    const shedder = this.shedder;
    const registers = [this.metrics.registry];
    const existing = (name: string) => this.metrics.registry.getSingleMetric(name) !== undefined;
    if (!existing('tenk_api_shed_total')) {
      new Counter({
        name: 'tenk_api_shed_total',
        help: 'Requests refused with 503 + Retry-After because the event loop was past its bounds (TENK_SHED_*), by priority.',
        labelNames: ['priority'],
        registers,
        collect() {
          this.reset();
          SHED_PRIORITIES.forEach((priority, i) => this.inc({ priority }, shedder.shed[i]));
        },
      });
      new Gauge({
        name: 'tenk_api_shedding',
        help: 'Whether requests of this priority are being shed now (1) or not (0).',
        labelNames: ['priority'],
        registers,
        collect() {
          for (const priority of SHED_PRIORITIES) this.set({ priority }, shedder.isShedding(priority) ? 1 : 0);
        },
      });
      new Gauge({
        name: 'tenk_api_event_loop_delay_seconds',
        help: 'Longest event-loop delay in the last sampling interval (TENK_SHED_INTERVAL), as the shedder saw it.',
        registers,
        collect() {
          this.set(shedder.last.delayMs / 1000);
        },
      });
      new Gauge({
        name: 'tenk_api_event_loop_utilization',
        help: 'Event-loop utilization (0..1) over the last sampling interval, as the shedder saw it.',
        registers,
        collect() {
          this.set(shedder.last.utilization);
        },
      });
    }
    shedder.onChange((shedding, sample) => {
      const shed = SHED_PRIORITIES.filter((_, i) => shedding[i]);
      const detail = {
        delay_ms: Math.round(sample.delayMs * 10) / 10,
        utilization: Math.round(sample.utilization * 1000) / 1000,
        shedding: shed,
      };
      if (shed.length > 0)
        this.logger.warn(detail, `event loop past its bounds: shedding ${shed.join(', ')} priority requests (503 + Retry-After)`);
      else this.logger.info(detail, 'event loop back within its bounds: shedding stopped');
    });
    shedder.start();
  }

  onApplicationShutdown(): void {
    this.shedder.stop();
  }
}

/** The api's load shedding (TENK_SHED*), global so configureHttp can find it. */
@Global()
@Module({
  providers: [
    { provide: LoadShedder, inject: [TENK_CONFIG], useFactory: (config: TenkConfig) => new LoadShedder(config.shedding) },
    LoadSheddingLifecycle,
  ],
  exports: [LoadShedder],
})
export class LoadSheddingModule {}

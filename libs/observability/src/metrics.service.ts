import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * How often the nodejs_eventloop_lag_* histogram samples the loop. prom-client's default, 10 ms,
 * wakes an otherwise idle process 100 times a second: measured here, 2,500-4,000 µs of CPU a
 * second, a third of an idle api's 1% budget on its own; at 50 ms it is about 800. A block of
 * 50 ms or more is still seen whole; shorter ones are sampled rather than all seen. (Under load
 * the shedder's own 10 ms sampler runs anyway: see libs/resilience's EventLoopPressure.)
 */
export const EVENT_LOOP_RESOLUTION_MS = 50;

/**
 * The process's Prometheus registry. Libraries get or create their metrics here by name, so a
 * module imported twice never registers a metric twice.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  constructor() {
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: EVENT_LOOP_RESOLUTION_MS });
  }

  setService(service: string): void {
    this.registry.setDefaultLabels({ service });
  }

  counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return this.#getOrCreate(name, () => new Counter({ name, help, labelNames, registers: [this.registry] })) as Counter<L>;
  }

  gauge<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
    collect?: (this: Gauge<L>) => void | Promise<void>,
  ): Gauge<L> {
    return this.#getOrCreate(name, () => new Gauge({ name, help, labelNames, registers: [this.registry], collect })) as Gauge<L>;
  }

  histogram<L extends string>(name: string, help: string, labelNames: readonly L[] = [], buckets?: number[]): Histogram<L> {
    return this.#getOrCreate(name, () => new Histogram({ name, help, labelNames, buckets, registers: [this.registry] })) as Histogram<L>;
  }

  #getOrCreate<M>(name: string, create: () => M): M {
    return (this.registry.getSingleMetric(name) as M | undefined) ?? create();
  }
}

import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The process's Prometheus registry. Libraries get or create their metrics here by name, so a
 * module imported twice never registers a metric twice.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
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

import { AggregatorRegistry, Registry, Counter, Gauge } from 'prom-client';
import type { AdminAnswer, AdminBackend, AlgorithmChange } from '../admin/admin-server';
import type { BalancerStatus } from '../admin/status';
import type { ControlPolicy } from '@tenk/control-plane';
import { mergeStatuses } from './merge-status';
import type { Primary } from './primary';

/**
 * The admin listener of `worker_processes N`, served by the primary: /status and the status
 * page sum the workers' statuses (merge-status.ts), /metrics is prom-client's
 * AggregatorRegistry over the workers' registries plus the primary's own worker counts, and
 * the state changes (algorithm, reload) go to every worker.
 */
export class ClusterAdmin implements AdminBackend {
  readonly #primary: Primary;
  readonly #acceptMutex: boolean;
  readonly #aggregator = new AggregatorRegistry();
  readonly #own = new Registry();

  constructor(primary: Primary, acceptMutex: boolean) {
    this.#primary = primary;
    this.#acceptMutex = acceptMutex;
    new Gauge({
      name: 'tenk_balancer_workers',
      help: 'Worker processes listening now (worker_processes).',
      registers: [this.#own],
      collect() {
        this.set(primary.readyWorkers().length);
      },
    });
    new Counter({
      name: 'tenk_balancer_worker_restarts_total',
      help: 'Workers the primary started again after one exited.',
      registers: [this.#own],
      collect() {
        this.reset();
        this.inc(primary.restarts);
      },
    });
  }

  get control(): ControlPolicy {
    return this.#primary.control;
  }

  get draining(): boolean {
    return this.#primary.draining;
  }

  get metricsContentType(): string {
    return this.#aggregator.contentType;
  }

  async status(): Promise<BalancerStatus> {
    const workers = this.#primary.readyWorkers();
    // Every worker is restarting (or exiting): nothing to sum; the admin answers 500 with this.
    if (workers.length === 0) throw new Error('no worker is running right now (the primary is starting them again, see its log)');
    const statuses = (await Promise.all(
      workers.map((running) => this.#primary.request(running, { type: 'tenk:status' })),
    )) as BalancerStatus[];
    return mergeStatuses(statuses, {
      pid: process.pid,
      startedAt: this.#primary.startedAt,
      restarts: this.#primary.restarts,
      acceptMutex: this.#acceptMutex,
      indexes: workers.map((running) => running.index),
    });
  }

  async metrics(): Promise<string> {
    const [own, workers] = await Promise.all([this.#own.metrics(), this.#aggregator.clusterMetrics()]);
    return `${own}\n${workers}`;
  }

  reloadFromFile(): Promise<string | null> {
    return this.#primary.reloadFromFile();
  }

  async algorithm(upstream: string, change: AlgorithmChange | null): Promise<AdminAnswer> {
    const answers = (await this.#primary.broadcast({ type: 'tenk:algorithm', upstream, change })) as AdminAnswer[];
    // Every worker runs the same configuration, so they answer alike; a refusal wins if one differs.
    return answers.find((answer) => answer.status !== 200) ?? answers[0];
  }
}

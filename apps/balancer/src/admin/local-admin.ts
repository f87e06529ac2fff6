import type { ControlPolicy } from '@tenk/control-plane';
import type { Registry } from 'prom-client';
import type { Generation } from '../runtime/generation';
import type { AdminAnswer, AdminBackend, AlgorithmChange } from './admin-server';
import { createMetricsRegistry, type MetricsSource } from './metrics';
import { buildStatus, upstreamStatus, type BalancerStatus, type StatusSource } from './status';

/** What one balancer process offers its admin listener. */
export interface AdminHost extends StatusSource, MetricsSource {
  reloadFromFile(): Promise<string | null>;
  readonly control: ControlPolicy;
}

/** The admin listener's view of one balancer process (worker_processes 1). */
export class LocalAdmin implements AdminBackend {
  readonly #host: AdminHost;
  readonly #registry: Registry;

  constructor(host: AdminHost) {
    this.#host = host;
    this.#registry = createMetricsRegistry(host);
  }

  get control(): ControlPolicy {
    return this.#host.control;
  }

  get draining(): boolean {
    return this.#host.draining;
  }

  get metricsContentType(): string {
    return this.#registry.contentType;
  }

  status(): Promise<BalancerStatus> {
    return Promise.resolve(buildStatus(this.#host));
  }

  metrics(): Promise<string> {
    return this.#registry.metrics();
  }

  reloadFromFile(): Promise<string | null> {
    return this.#host.reloadFromFile();
  }

  algorithm(upstream: string, change: AlgorithmChange | null): Promise<AdminAnswer> {
    return Promise.resolve(algorithmAnswer(this.#host.generation, upstream, change));
  }
}

/** GET (change null) or switch an upstream's algorithm in this process: 404 for an unknown upstream, 400 when it cannot apply. */
export function algorithmAnswer(generation: Generation, name: string, change: AlgorithmChange | null): AdminAnswer {
  const upstream = generation.upstreams.get(name);
  if (!upstream) return text(404, `no upstream named "${name}" (have: ${[...generation.upstreams.keys()].join(', ')})\n`);
  if (change === null) return json({ upstream: name, algorithm: upstream.balancer.description }, false);
  const problem = upstream.switchAlgorithm(change.name, change.args);
  if (problem) return text(400, `${problem}\n`);
  return json(upstreamStatus(upstream), true);
}

function text(status: number, body: string): AdminAnswer {
  return { status, contentType: 'text/plain; charset=utf-8', body };
}

function json(value: unknown, pretty: boolean): AdminAnswer {
  return { status: 200, contentType: 'application/json', body: `${pretty ? JSON.stringify(value, null, 2) : JSON.stringify(value)}\n` };
}

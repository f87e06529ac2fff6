import { Injectable, OnModuleInit } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { MetricsService } from '@tenk/observability';
import { Queues } from './queues';

const COUNT_TIMEOUT_MS = 1_000;
const STATES = ['waiting', 'active', 'delayed', 'failed', 'completed', 'paused'] as const;

/**
 * `tenk_queue_jobs{queue,state}`: each open queue's depth, read from Redis when Prometheus
 * scrapes. A queue Redis that does not answer leaves the series out rather than hang /metrics.
 */
@Injectable()
export class QueueMetrics implements OnModuleInit {
  constructor(
    private readonly queues: Queues,
    private readonly metrics: MetricsService,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext('queue-metrics');
  }

  onModuleInit(): void {
    const queues = this.queues;
    const logger = this.logger;
    this.metrics.gauge(
      'tenk_queue_jobs',
      'Jobs in each Bull queue, by state (read at scrape time)',
      ['queue', 'state'],
      async function collect() {
        this.reset();
        await Promise.all(
          queues.names.map(async (name) => {
            try {
              const counts = await withTimeout(queues.get(name).getJobCounts(), COUNT_TIMEOUT_MS);
              for (const state of STATES) this.set({ queue: name, state }, (counts as unknown as Record<string, number>)[state] ?? 0);
            } catch (error) {
              logger.debug({ err: error, queue: name }, 'queue depth unavailable');
            }
          }),
        );
      },
    );
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

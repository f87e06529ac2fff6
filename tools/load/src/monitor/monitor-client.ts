import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { MonitorRequest, MonitorWorkerData } from './monitor-worker';
import type { CpuSample, MemorySnapshot, MonitorOptions } from './process-monitor';
import type { ProcessGroup } from './shop-processes';

type WorkerMessage =
  | { type: 'groups'; groups: ProcessGroup[] }
  | { type: 'sample'; sample: CpuSample }
  | { type: 'snapshot'; id: number; snapshot: MemorySnapshot };

const REGISTER = path.resolve(__dirname, '../../../register.cjs');

/**
 * The load tool's side of the process monitor (which runs in a worker thread, see
 * monitor-worker.ts): the latest CPU sample, and memory snapshots on request.
 */
export class MonitorClient {
  readonly #worker: Worker;
  readonly #pending = new Map<number, (snapshot: MemorySnapshot) => void>();
  #groups: ProcessGroup[] = [];
  #latest: CpuSample | null = null;
  #nextId = 1;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'groups') this.#groups = message.groups;
      else if (message.type === 'sample') this.#latest = message.sample;
      else {
        this.#pending.get(message.id)?.(message.snapshot);
        this.#pending.delete(message.id);
      }
    });
  }

  /** Starts the worker; resolves once it has taken its first look at the processes. */
  static async start(groups: ProcessGroup[], options: MonitorOptions, intervalMs = 1_000): Promise<MonitorClient> {
    const data: MonitorWorkerData = { groups, options, intervalMs };
    // The worker runs TypeScript like the rest of the tool: through the workspace's register hook.
    const source = `require(${JSON.stringify(REGISTER)}); require(${JSON.stringify(path.join(__dirname, 'monitor-worker.ts'))});`;
    const worker = new Worker(source, { eval: true, workerData: data });
    const client = new MonitorClient(worker);
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => reject(new Error(`the process monitor failed to start: ${error.message}`));
      worker.once('error', onError);
      const check = (message: WorkerMessage) => {
        if (message.type !== 'groups') return;
        worker.off('message', check);
        worker.off('error', onError);
        resolve();
      };
      worker.on('message', check);
    });
    worker.on('error', (error) => process.stderr.write(`process monitor: ${error.message}\n`));
    return client;
  }

  /** The groups as the monitor names them (duplicates made unique). */
  get groups(): readonly ProcessGroup[] {
    return this.#groups;
  }

  /** The most recent CPU sample (one a second), or null before the first. */
  get latest(): CpuSample | null {
    return this.#latest;
  }

  snapshot(label: string): Promise<MemorySnapshot> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.#worker.postMessage({ type: 'snapshot', id, label } satisfies MonitorRequest);
    });
  }

  async stop(): Promise<void> {
    this.#worker.postMessage({ type: 'stop' } satisfies MonitorRequest);
    await this.#worker.terminate();
  }
}

import cluster, { type Worker } from 'node:cluster';
import { rmSync, writeFileSync } from 'node:fs';
import type { ControlPolicy } from '@tenk/control-plane';
import { AdminServer } from '../admin/admin-server';
import { loadConfig, type LoadOptions } from '../config/load-config';
import type { BalancerConfig } from '../config/schema';
import { formatHostPort } from '../config/values';
import type { Logger } from '../observability/logger';
import { ClusterAdmin } from './cluster-admin';
import { isTenkMessage, type PrimaryRequest, type ReplyValue, type WorkerMessage, type WorkerReady, type ZoneEvent } from './messages';
import { ZoneStore, type Delivery } from './zone-store';

export interface PrimaryOptions {
  configFile: string;
  loadOptions: LoadOptions;
  logger: Logger;
  control: ControlPolicy;
}

interface RunningWorker {
  index: number;
  worker: Worker;
  startedAt: number;
  ready: boolean;
}

type RequestBody = PrimaryRequest extends infer R ? (R extends PrimaryRequest ? Omit<R, 'id'> : never) : never;

const REPLY_TIMEOUT_MS = 5000;
/** A worker that dies this soon after it started is restarted after a growing pause (a crash loop does not spin). */
const QUICK_EXIT_MS = 1000;
const MAX_RESTART_DELAY_MS = 5000;

/**
 * nginx's master process for `worker_processes N`: forks N workers (this same program, as
 * node:cluster workers) that share the listening sockets, starts a worker again when one
 * exits, serves the admin listener (summing the workers), relays zone state (zone-store.ts),
 * and passes reloads and shutdowns on. It proxies nothing itself.
 */
export class Primary {
  readonly startedAt = Date.now();
  readonly logger: Logger;
  readonly control: ControlPolicy;
  restarts = 0;
  #config: BalancerConfig;
  readonly #options: PrimaryOptions;
  readonly #workers = new Map<number, RunningWorker>();
  readonly #zones = new ZoneStore();
  readonly #pending = new Map<number, { resolve: (value: ReplyValue) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();
  #nextId = 1;
  #stopping = false;
  #admin: AdminServer | null = null;
  #restartDelayMs = 100;
  #onStopped: (() => void) | null = null;
  #listen: string[] = [];

  private constructor(config: BalancerConfig, options: PrimaryOptions) {
    this.#config = config;
    this.#options = options;
    this.logger = options.logger;
    this.control = options.control;
  }

  /** Forks the workers, waits until each listens, then opens the admin listener. Rejects if a worker cannot start. */
  static async start(config: BalancerConfig, options: PrimaryOptions): Promise<Primary> {
    // Must be set before the first fork; the README's worker_processes row says why off is the default.
    cluster.schedulingPolicy = config.acceptMutex ? cluster.SCHED_RR : cluster.SCHED_NONE;
    const primary = new Primary(config, options);
    cluster.on('message', (worker, message: unknown) => primary.#onMessage(worker, message));
    cluster.on('exit', (worker, code, signal) => primary.#onExit(worker, code, signal));
    const starting = [...Array(config.workerProcesses).keys()].map((index) => primary.#fork(index));
    try {
      await Promise.all(starting);
    } catch (error) {
      primary.#stopping = true;
      for (const running of primary.#workers.values()) running.worker.process.kill('SIGKILL');
      throw error;
    }
    if (config.admin !== null) {
      primary.#admin = new AdminServer(config.admin, new ClusterAdmin(primary, config.acceptMutex));
      await primary.#admin.listen();
    }
    const address = primary.#admin?.address;
    primary.logger.info('balancer started', {
      config: config.file,
      listen: primary.#listen,
      admin: address ? formatHostPort({ host: address.address, port: address.port }) : null,
      upstreams: config.upstreams.map((upstream) => `${upstream.name} (${upstream.method.name}, ${upstream.servers.length} servers)`),
      pid: process.pid,
      worker_processes: config.workerProcesses,
      accept_mutex: config.acceptMutex,
      workers: primary.workerPids(),
    });
    if (config.pidFile) writeFileSync(config.pidFile, `${process.pid}\n`);
    return primary;
  }

  get draining(): boolean {
    return this.#stopping;
  }

  /** Running and listening workers, by index. */
  readyWorkers(): RunningWorker[] {
    return [...this.#workers.values()].filter((running) => running.ready).sort((a, b) => a.index - b.index);
  }

  workerPids(): number[] {
    return this.readyWorkers().map((running) => running.worker.process.pid ?? 0);
  }

  /** Asks one worker; rejects after 5 s without an answer or when it exits first. */
  request(running: RunningWorker, body: RequestBody): Promise<ReplyValue> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const onExit = () => settle(() => reject(new Error(`worker ${running.index} exited before it answered`)));
      const timer = setTimeout(
        () => settle(() => reject(new Error(`worker ${running.index} did not answer within ${REPLY_TIMEOUT_MS} ms`))),
        REPLY_TIMEOUT_MS,
      );
      const settle = (end: () => void) => {
        this.#pending.delete(id);
        clearTimeout(timer);
        running.worker.off('exit', onExit);
        end();
      };
      this.#pending.set(id, { resolve: (value) => settle(() => resolve(value)), reject, timer });
      running.worker.once('exit', onExit);
      running.worker.send({ ...body, id } as PrimaryRequest);
    });
  }

  /** Asks every listening worker. */
  broadcast(body: RequestBody): Promise<ReplyValue[]> {
    return Promise.all(this.readyWorkers().map((running) => this.request(running, body)));
  }

  /**
   * SIGHUP / POST /reload: the primary checks the file first (a bad one changes nothing
   * anywhere), then every worker reloads it. worker_processes, accept_mutex and admin_listen
   * are read at start: a change to them is logged and takes a restart.
   */
  async reloadFromFile(): Promise<string | null> {
    if (this.#stopping) return 'shutting down';
    let next: BalancerConfig;
    try {
      next = loadConfig(this.#options.configFile, this.#options.loadOptions);
    } catch (error) {
      const message = (error as Error).message;
      this.logger.error('configuration reload failed: still running the previous configuration', {
        config: this.#options.configFile,
        error: message,
      });
      return message;
    }
    const current = this.#config;
    const admin = (config: BalancerConfig) => (config.admin === null ? 'off' : formatHostPort(config.admin));
    if (next.workerProcesses !== current.workerProcesses || next.acceptMutex !== current.acceptMutex || admin(next) !== admin(current))
      this.logger.warn('worker_processes, accept_mutex and admin_listen are read at start: restart the balancer to change them', {
        running: { worker_processes: current.workerProcesses, accept_mutex: current.acceptMutex, admin_listen: admin(current) },
        file: { worker_processes: next.workerProcesses, accept_mutex: next.acceptMutex, admin_listen: admin(next) },
      });
    const problems = (await this.broadcast({ type: 'tenk:reload' })).filter((problem): problem is string => typeof problem === 'string');
    if (problems.length > 0) return problems[0];
    this.#config = { ...next, workerProcesses: current.workerProcesses, acceptMutex: current.acceptMutex, admin: current.admin };
    this.logger.info('configuration reloaded in every worker', { config: next.file, workers: this.workerPids() });
    return null;
  }

  /** SIGTERM: every worker drains (its own worker_shutdown_timeout), then the primary exits. */
  stop(signal: NodeJS.Signals): Promise<void> {
    if (this.#stopping) {
      this.logger.warn(`${signal} again: stopping the workers without waiting`);
      for (const running of this.#workers.values()) running.worker.process.kill('SIGKILL');
      return Promise.resolve();
    }
    this.#stopping = true;
    this.logger.info(`${signal}: draining every worker, then exiting`, { workers: this.workerPids() });
    const stopped = new Promise<void>((resolve) => (this.#onStopped = resolve));
    for (const running of this.#workers.values()) running.worker.process.kill('SIGTERM');
    if (this.#workers.size === 0) this.#onStopped?.();
    return stopped.then(async () => {
      await this.#admin?.close();
      if (this.#config.pidFile) rmSync(this.#config.pidFile, { force: true });
      this.logger.info('every worker exited: exiting');
      this.logger.sink.flush();
    });
  }

  /** Starts worker `index`; resolves once it listens, rejects if it exits first. */
  #fork(index: number): Promise<void> {
    const worker = cluster.fork({ TENK_BALANCER_WORKER: String(index) });
    const running: RunningWorker = { index, worker, startedAt: Date.now(), ready: false };
    this.#workers.set(worker.id, running);
    return new Promise((resolve, reject) => {
      const onReady = (message: unknown) => {
        if (!isTenkMessage(message) || message.type !== 'tenk:ready') return;
        worker.off('message', onReady);
        worker.off('exit', onExit);
        running.ready = true;
        if (this.#listen.length === 0) this.#listen = (message as unknown as WorkerReady).listen;
        this.#deliver(this.#zones.snapshot(worker.id));
        resolve();
      };
      const onExit = (code: number | null, signal: string | null) =>
        reject(new Error(`worker ${index} exited before it listened (${signal ?? `code ${code}`}); its log lines above say why`));
      worker.on('message', onReady);
      worker.once('exit', onExit);
    });
  }

  #onMessage(worker: Worker, message: unknown): void {
    if (!isTenkMessage(message)) return;
    const event = message as WorkerMessage;
    if (event.type === 'tenk:reply') {
      this.#pending.get(event.id)?.resolve(event.value);
      return;
    }
    if (event.type === 'tenk:ready') return;
    this.#deliver(this.#zones.handle(worker.id, event as ZoneEvent));
  }

  #deliver(deliveries: readonly Delivery[]): void {
    for (const delivery of deliveries) {
      for (const running of this.#workers.values()) {
        if (!running.ready || !running.worker.isConnected()) continue;
        if (delivery.to === 'one' && running.worker.id !== delivery.worker) continue;
        if (delivery.to === 'others' && running.worker.id === delivery.except) continue;
        running.worker.send(delivery.message);
      }
    }
  }

  #onExit(worker: Worker, code: number | null, signal: string | null): void {
    const running = this.#workers.get(worker.id);
    if (running === undefined) return;
    this.#workers.delete(worker.id);
    this.#deliver(this.#zones.workerGone(worker.id));
    if (this.#stopping) {
      if (this.#workers.size === 0) this.#onStopped?.();
      return;
    }
    if (!running.ready) return; // a worker that never listened fails the start (Primary.start)
    const lived = Date.now() - running.startedAt;
    const delay = lived < QUICK_EXIT_MS ? this.#restartDelayMs : 0;
    this.#restartDelayMs = lived < QUICK_EXIT_MS ? Math.min(this.#restartDelayMs * 2, MAX_RESTART_DELAY_MS) : 100;
    this.restarts++;
    this.logger.error('worker exited: starting a new one', {
      worker: running.index,
      worker_pid: worker.process.pid,
      code,
      signal,
      lived_ms: lived,
      restart_in_ms: delay,
      restarts: this.restarts,
    });
    setTimeout(() => {
      if (this.#stopping) return;
      this.#fork(running.index).catch((error: unknown) =>
        this.logger.error('worker could not start again', { worker: running.index, error: (error as Error).message }),
      );
    }, delay);
  }
}

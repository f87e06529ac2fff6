import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/**
 * The worker's whole program: bcryptjs is pure JavaScript, so a hash holds whichever thread
 * runs it for its whole ~90 ms. Given as source (not a file) so it runs the same from dist/,
 * under ts-jest and under swc-node; bcryptjs is loaded by the absolute path the parent resolved.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const bcrypt = require(${JSON.stringify(require.resolve('bcryptjs'))});
parentPort.on('message', (task) => {
  try {
    const result = task.op === 'hash' ? bcrypt.hashSync(task.password, task.cost) : bcrypt.compareSync(task.password, task.hash);
    parentPort.postMessage({ result });
  } catch (error) {
    parentPort.postMessage({ error: error instanceof Error ? error.message : String(error) });
  }
});
`;

type TaskInput = { op: 'hash'; password: string; cost: number } | { op: 'compare'; password: string; hash: string };
type Task = TaskInput & {
  resolve(result: string | boolean): void;
  reject(error: Error): void;
};

/** Thrown when more hashes wait than the pool takes: shed the request (503) rather than queue without end. */
export class PasswordHashPoolBusyError extends Error {
  constructor(readonly waiting: number) {
    super(`${waiting} password checks are already waiting`);
    this.name = 'PasswordHashPoolBusyError';
  }
}

export function isPasswordHashPoolBusyError(error: unknown): error is PasswordHashPoolBusyError {
  return error instanceof Error && error.name === 'PasswordHashPoolBusyError';
}

interface PoolWorker {
  worker: Worker;
  task: Task | undefined;
}

/**
 * bcrypt hashes and checks on a few worker threads, so the event loop keeps serving other
 * requests while a sign-up or sign-in spends its ~90 ms. Workers start on first use, and hold
 * the process open only while they have work (a CLI exits when done). A worker that dies fails
 * its task only; the next task starts a new one.
 */
export class PasswordHashPool {
  readonly #size: number;
  readonly #maxWaiting: number;
  readonly #workers: PoolWorker[] = [];
  readonly #waiting: Task[] = [];

  constructor(size: number, maxWaiting: number) {
    this.#size = size;
    this.#maxWaiting = maxWaiting;
  }

  hash(password: string, cost: number): Promise<string> {
    return this.#run({ op: 'hash', password, cost }) as Promise<string>;
  }

  compare(password: string, hash: string): Promise<boolean> {
    return this.#run({ op: 'compare', password, hash }) as Promise<boolean>;
  }

  /** Stops every worker (tests; a process that exits needs not call it). */
  async close(): Promise<void> {
    const workers = this.#workers.splice(0);
    await Promise.all(workers.map(({ worker }) => worker.terminate()));
  }

  #run(input: TaskInput): Promise<string | boolean> {
    return new Promise((resolve, reject) => {
      const task = { ...input, resolve, reject } as Task;
      const idle = this.#workers.find((entry) => entry.task === undefined) ?? this.#spawn();
      if (idle) return this.#give(idle, task);
      if (this.#waiting.length >= this.#maxWaiting) return reject(new PasswordHashPoolBusyError(this.#waiting.length));
      this.#waiting.push(task);
    });
  }

  #spawn(): PoolWorker | undefined {
    if (this.#workers.length >= this.#size) return undefined;
    const entry: PoolWorker = { worker: new Worker(WORKER_SOURCE, { eval: true }), task: undefined };
    entry.worker.on('message', (message: { result?: string | boolean; error?: string }) => {
      const task = entry.task;
      entry.task = undefined;
      if (message.error !== undefined) task?.reject(new Error(`password hashing failed: ${message.error}`));
      else task?.resolve(message.result as string | boolean);
      this.#next(entry);
    });
    const fail = (error: Error) => {
      const index = this.#workers.indexOf(entry);
      if (index === -1) return;
      this.#workers.splice(index, 1);
      entry.task?.reject(new Error(`the password hashing thread stopped: ${error.message}`));
      entry.task = undefined;
      // Tasks that were waiting for a thread get a new one.
      const waiting = this.#waiting.shift();
      const replacement = waiting && this.#spawn();
      if (waiting && replacement) this.#give(replacement, waiting);
    };
    entry.worker.on('error', fail);
    entry.worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
    this.#workers.push(entry);
    return entry;
  }

  #give(entry: PoolWorker, task: Task): void {
    entry.task = task;
    entry.worker.ref();
    entry.worker.postMessage(
      task.op === 'hash'
        ? { op: task.op, password: task.password, cost: task.cost }
        : { op: task.op, password: task.password, hash: task.hash },
    );
  }

  #next(entry: PoolWorker): void {
    const task = this.#waiting.shift();
    if (task) this.#give(entry, task);
    else entry.worker.unref();
  }
}

/** Two threads at most: enough to keep hashing off the event loop without taking every core. */
export const PASSWORD_HASH_THREADS = Math.max(1, Math.min(2, availableParallelism()));

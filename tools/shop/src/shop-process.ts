import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';

export interface ProcessSpec {
  /** `api-1`, `mailer`, `balancer`, ... */
  name: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  /** The URL that answers 200 once the process is ready. */
  readyUrl: string;
  /**
   * Whether the process answers its readiness URL itself (its X-Process-Id must be ours). Not
   * for the balancer: its /health/ready is an api instance's answer, passed through.
   */
  answersItself?: boolean;
  logFile: string;
}

export type ProcessState = 'starting' | 'ready' | 'stopping' | 'stopped' | 'crashed';

/**
 * One supervised child process: its output goes to its log file, it is ready when its
 * readiness URL answers 200, and a crash is restarted with backoff unless we stopped it.
 */
export class ShopProcess {
  readonly spec: ProcessSpec;
  #child: ChildProcess | undefined;
  #log: WriteStream | undefined;
  #state: ProcessState = 'stopped';
  #restarts = 0;
  #restartTimer: NodeJS.Timeout | undefined;

  constructor(
    spec: ProcessSpec,
    private readonly report: (line: string) => void,
    private readonly restartOnCrash: boolean,
  ) {
    this.spec = spec;
  }

  get state(): ProcessState {
    return this.#state;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get restarts(): number {
    return this.#restarts;
  }

  start(): void {
    clearTimeout(this.#restartTimer);
    this.#log ??= createWriteStream(this.spec.logFile, { flags: 'a' });
    const child = spawn(this.spec.command, this.spec.args, {
      env: { ...process.env, ...this.spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    this.#state = 'starting';
    child.stdout?.pipe(this.#log, { end: false });
    child.stderr?.pipe(this.#log, { end: false });
    child.once('exit', (code, signal) => {
      if (this.#child !== child) return;
      this.#child = undefined;
      // Stopped by us, or a clean exit (e.g. Ctrl-C reached the whole process group).
      if (this.#state === 'stopping' || code === 0) {
        this.#state = 'stopped';
        return;
      }
      this.#state = 'crashed';
      this.report(`${this.spec.name} exited (${signal ?? `code ${code}`}); see ${this.spec.logFile}`);
      if (this.restartOnCrash) {
        const delay = Math.min(30_000, 1_000 * 2 ** Math.min(this.#restarts, 5));
        this.#restarts += 1;
        this.report(`${this.spec.name}: restarting in ${delay / 1000} s`);
        this.#restartTimer = setTimeout(() => this.start(), delay);
        this.#restartTimer.unref();
      }
    });
  }

  /** Polls the readiness URL; throws with the log's tail if it is not ready in time. */
  async waitReady(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.#state === 'crashed' || (this.#state === 'stopped' && !this.#child)) break;
      try {
        const response = await fetch(this.spec.readyUrl, { signal: AbortSignal.timeout(2_000) });
        await response.arrayBuffer();
        // Another process on the same port (another shop's) must not pass for ours.
        const answeredBy = response.headers.get('x-process-id');
        if (this.spec.answersItself !== false && answeredBy !== null && Number(answeredBy) !== this.#child?.pid) {
          throw new Error(
            `${this.spec.readyUrl} is answered by process ${answeredBy}, not by ${this.spec.name} (pid ${this.#child?.pid}): is another shop using its port?`,
          );
        }
        if (response.status === 200) {
          this.#state = 'ready';
          return;
        }
      } catch (error) {
        if ((error as Error).message.includes('is answered by process')) throw error;
        // Not listening yet.
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`${this.spec.name} was not ready (${this.spec.readyUrl}) within ${timeoutMs / 1000} s; see ${this.spec.logFile}`);
  }

  /** SIGTERM and wait for a clean exit (SIGKILL after `graceMs`). Never restarted. */
  async stop(graceMs = 15_000): Promise<void> {
    clearTimeout(this.#restartTimer);
    const child = this.#child;
    this.#state = 'stopping';
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }
    this.#state = 'stopped';
  }

  /**
   * Kills without warning (a crash, for fault drills) and resolves once the process is gone;
   * it restarts only if restartOnCrash.
   */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }

  closeLog(): void {
    this.#log?.end();
    this.#log = undefined;
  }
}

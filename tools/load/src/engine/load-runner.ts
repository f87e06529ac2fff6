import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import type { Phase, RunStats, WindowSnapshot } from './stats';
import { TimingWheel } from './timing-wheel';
import { VirtualUser, type Behaviour, type VirtualUserHost } from './virtual-user';

export interface RunnerOptions {
  vus: number;
  rampMs: number;
  holdMs: number;
  /** After the hold: how long to wait for requests still in flight. */
  drainMs: number;
  stats: RunStats;
  dispatcherFor(userId: number): Dispatcher;
  /** Creates user `id`'s behaviour (its scenario decides). */
  behaviour(id: number): Behaviour;
  /** Every second: the window that just ended. */
  onWindow?(window: WindowSnapshot): void;
  /** When the run enters a phase (ramp at the start, hold at full load, drain at the end). */
  onPhase?(phase: Phase): void;
  /** Scheduler resolution (default 5 ms). */
  tickMs?: number;
}

export interface RunTiming {
  startedAt: Date;
  finishedAt: Date;
  /** Length of the hold phase as it happened (shorter when stopped early). */
  holdMs: number;
  stoppedEarly: boolean;
  /** Requests still unanswered when the drain ended. */
  abandoned: number;
  timeline: WindowSnapshot[];
}

const WINDOW_MS = 1_000;

/**
 * Drives the virtual users: brings them in evenly over the ramp-up, keeps them all busy for
 * the hold, then lets the last responses come in. A user is asleep (waiting in the timing
 * wheel) or has one request in flight; one interval timer advances the wheel, another rolls
 * the one-second windows. Nothing here grows with the number of requests.
 */
export class LoadRunner implements VirtualUserHost {
  readonly stats: RunStats;
  readonly #options: RunnerOptions;
  readonly #users: VirtualUser[];
  readonly #wheel: TimingWheel;
  readonly #timeline: WindowSnapshot[] = [];
  readonly #eventLoop = monitorEventLoopDelay({ resolution: 10 });
  #start = 0;
  #phase: Phase = 'ramp';
  #active = 0;
  #inFlight = 0;
  #holdStart = 0;
  #holdEnd = 0;
  #stoppedEarly = false;
  #cpu = process.cpuUsage();
  #lastWindow = 0;
  #tickTimer: NodeJS.Timeout | undefined;
  #windowTimer: NodeJS.Timeout | undefined;
  #drained: (() => void) | undefined;

  constructor(options: RunnerOptions) {
    if (!Number.isInteger(options.vus) || options.vus < 1)
      throw new Error(`the number of virtual users must be a positive integer, got ${options.vus}`);
    this.#options = options;
    this.stats = options.stats;
    this.#users = Array.from({ length: options.vus }, (_, id) => new VirtualUser(id, this, options.behaviour(id)));
    this.#wheel = new TimingWheel({ capacity: options.vus, tickMs: options.tickMs ?? 5 });
  }

  get phase(): Phase {
    return this.#phase;
  }

  get activeUsers(): number {
    return this.#active;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Milliseconds since the run started. */
  elapsed(): number {
    return performance.now() - this.#start;
  }

  dispatcherFor(userId: number): Dispatcher {
    return this.#options.dispatcherFor(userId);
  }

  async run(): Promise<RunTiming> {
    const { vus, rampMs } = this.#options;
    const startedAt = new Date();
    this.#start = performance.now();
    this.#lastWindow = this.#start;
    this.#cpu = process.cpuUsage();
    this.#eventLoop.enable();
    this.#enter('ramp');
    // User i arrives at i/vus of the ramp-up: an even stream of arrivals.
    for (let id = 0; id < vus; id++) this.#wheel.schedule(id, (rampMs * id) / vus);
    if (rampMs === 0) this.#enter('hold');
    this.#tickTimer = setInterval(this.#tick, this.#wheel.tickMs);
    this.#windowTimer = setInterval(this.#roll, WINDOW_MS);
    await new Promise<void>((resolve) => (this.#drained = resolve));
    clearInterval(this.#tickTimer);
    clearInterval(this.#windowTimer);
    this.#roll();
    this.stats.frozen = true;
    this.#eventLoop.disable();
    return {
      startedAt,
      finishedAt: new Date(),
      holdMs: Math.max(0, this.#holdEnd - this.#holdStart),
      stoppedEarly: this.#stoppedEarly,
      abandoned: this.#inFlight,
      timeline: this.#timeline,
    };
  }

  /** Ends the run now (Ctrl-C): no new requests, the report is still written. */
  stop(): void {
    if (this.#phase === 'drain') return;
    this.#stoppedEarly = true;
    this.#beginDrain();
  }

  finished(user: VirtualUser, thinkMs: number): void {
    if (this.stats.frozen) return;
    this.#inFlight -= 1;
    if (this.#phase === 'drain') {
      if (this.#inFlight === 0) this.#drained?.();
      return;
    }
    this.#wheel.schedule(user.id, this.elapsed() + thinkMs);
  }

  // Bound once: the timers and the wheel call these without a new closure each time.

  readonly #tick = (): void => {
    const now = this.elapsed();
    const { rampMs, holdMs } = this.#options;
    if (this.#phase === 'ramp' && now >= rampMs) this.#enter('hold');
    if (this.#phase === 'hold' && now >= rampMs + holdMs) {
      this.#beginDrain();
      return;
    }
    this.#wheel.advance(now, this.#wake);
  };

  readonly #wake = (id: number): void => {
    const user = this.#users[id];
    if (!user.active) {
      user.active = true;
      this.#active += 1;
    }
    this.#inFlight += 1;
    user.wake();
  };

  readonly #roll = (): void => {
    const now = performance.now();
    const spentMs = now - this.#lastWindow;
    this.#lastWindow = now;
    const cpu = process.cpuUsage(this.#cpu);
    this.#cpu = process.cpuUsage();
    const window = this.stats.rollWindow();
    const snapshot: WindowSnapshot = {
      t: Math.round((now - this.#start) / 100) / 10,
      phase: this.#phase,
      vus: this.#active,
      inFlight: this.#inFlight,
      ...window,
      generatorCpu: spentMs > 0 ? ((cpu.user + cpu.system) / 1_000 / spentMs) * 100 : 0,
      eventLoopP99: this.#eventLoop.count > 0 ? this.#eventLoop.percentile(99) / 1e6 : 0,
    };
    this.#eventLoop.reset();
    this.#timeline.push(snapshot);
    this.#options.onWindow?.(snapshot);
  };

  #enter(phase: Phase): void {
    if (phase === 'hold') this.#holdStart = performance.now();
    if (phase === 'drain' && this.#holdStart > 0) this.#holdEnd = performance.now();
    this.#phase = phase;
    this.stats.phase = phase;
    this.#options.onPhase?.(phase);
  }

  #beginDrain(): void {
    this.#enter('drain');
    this.stats.holdMs = Math.max(0, this.#holdEnd - this.#holdStart);
    this.#wheel.clear();
    this.#active = 0;
    if (this.#inFlight === 0) {
      this.#drained?.();
      return;
    }
    const timer = setTimeout(() => this.#drained?.(), this.#options.drainMs);
    timer.unref();
  }
}

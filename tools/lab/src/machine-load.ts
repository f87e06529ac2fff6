import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * How busy the machine was around a measurement: the CPU used by processes outside the
 * experiment, before it started and while it ran. The experiment is this process and its
 * descendants (the lab shop, load generators, nginx), the stack's servers (PostgreSQL, Redis,
 * Kafka, the SMTP sink: found by the pid files tools/infra writes) and every process started
 * from this checkout (a shop from `npm start` measured by the load tool). Everything else (an
 * editor, a build, another checkout's tests, kernel threads) is "other".
 */
export interface LoadSummary {
  /** The 1, 5 and 15 minute load averages when the run started. */
  loadAverageAtStart: number[];
  /** Cores used by other processes, on average, over the seconds before the run. */
  otherCoresBefore: number;
  /** Cores used by other processes, on average, during the run. */
  otherCoresDuring: number;
  /** The busiest second of other processes during the run. */
  otherCoresDuringMax: number;
  /** Cores used by the experiment (this process, its children, the stack), on average. */
  experimentCoresDuring: number;
  /** The other processes that used the most CPU during the run. */
  busiestOthers: Array<{ command: string; cores: number }>;
  seconds: number;
}

/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on every Linux we run on). */
const TICKS_PER_SECOND = 100;

interface ProcessTimes {
  ppid: number;
  ticks: number;
  command: string;
  /** Whether its command line names this checkout (read once per pid). */
  fromCheckout: boolean;
}

interface Snapshot {
  at: number;
  processes: Map<number, ProcessTimes>;
}

/** Samples /proc every second from `start()` to `stop()`; Linux only (elsewhere it reports zeros). */
export class MachineLoadMonitor {
  private readonly checkoutCache = new Map<number, { start: string; fromCheckout: boolean }>();
  private readonly others = new Map<string, number>();
  private readonly perSecond: number[] = [];
  private before = 0;
  private loadAverageAtStart: number[] = [];
  private first: Snapshot | null = null;
  private last: Snapshot | null = null;
  private otherTicks = 0;
  private experimentTicks = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: { root: string; stateDir: string }) {}

  /** Measures the machine for `baselineSeconds` (the "before"), then keeps sampling until stop(). */
  async start(baselineSeconds = 3): Promise<void> {
    this.loadAverageAtStart = os.loadavg().map((value) => Math.round(value * 100) / 100);
    const a = this.snapshot();
    await new Promise((resolve) => setTimeout(resolve, baselineSeconds * 1_000));
    const b = this.snapshot();
    const { other } = this.split(a, b);
    this.before = other / TICKS_PER_SECOND / ((b.at - a.at) / 1_000);
    this.first = b;
    this.last = b;
    this.timer = setInterval(() => this.sample(), 1_000);
    this.timer.unref();
  }

  stop(): LoadSummary {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sample();
    const seconds = this.first && this.last ? (this.last.at - this.first.at) / 1_000 : 0;
    const cores = (ticks: number) => (seconds > 0 ? round(ticks / TICKS_PER_SECOND / seconds) : 0);
    return {
      loadAverageAtStart: this.loadAverageAtStart,
      otherCoresBefore: round(this.before),
      otherCoresDuring: cores(this.otherTicks),
      otherCoresDuringMax: round(Math.max(0, ...this.perSecond)),
      experimentCoresDuring: cores(this.experimentTicks),
      busiestOthers: [...this.others]
        .sort((x, y) => y[1] - x[1])
        .slice(0, 3)
        .map(([command, ticks]) => ({ command, cores: cores(ticks) }))
        .filter((entry) => entry.cores >= 0.01),
      seconds: Math.round(seconds * 10) / 10,
    };
  }

  /** Cores one command (its /proc name) used on average as an "other" process, up to the last sample. */
  otherCoresOf(command: string): number {
    const seconds = this.first && this.last ? (this.last.at - this.first.at) / 1_000 : 0;
    return seconds > 0 ? round((this.others.get(command) ?? 0) / TICKS_PER_SECOND / seconds) : 0;
  }

  private sample(): void {
    if (!this.last) return;
    const next = this.snapshot();
    const { other, experiment, byCommand } = this.split(this.last, next);
    this.otherTicks += other;
    this.experimentTicks += experiment;
    for (const [command, ticks] of byCommand) this.others.set(command, (this.others.get(command) ?? 0) + ticks);
    const elapsed = (next.at - this.last.at) / 1_000;
    if (elapsed > 0) this.perSecond.push(other / TICKS_PER_SECOND / elapsed);
    this.last = next;
  }

  /** CPU ticks between two snapshots, split into the experiment's and everyone else's. */
  private split(a: Snapshot, b: Snapshot): { other: number; experiment: number; byCommand: Map<string, number> } {
    const inExperiment = this.experimentPids(b.processes);
    let other = 0;
    let experiment = 0;
    const byCommand = new Map<string, number>();
    for (const [pid, now] of b.processes) {
      const then = a.processes.get(pid);
      // A process that started between the two samples counts from its start.
      const delta = now.ticks - (then && then.command === now.command ? then.ticks : 0);
      if (delta <= 0) continue;
      if (inExperiment.has(pid)) {
        experiment += delta;
      } else {
        other += delta;
        byCommand.set(now.command, (byCommand.get(now.command) ?? 0) + delta);
      }
    }
    return { other, experiment, byCommand };
  }

  private experimentPids(processes: Map<number, ProcessTimes>): Set<number> {
    const roots = new Set<number>([process.pid, ...this.stackPids()]);
    for (const [pid, times] of processes) if (times.fromCheckout) roots.add(pid);
    const children = new Map<number, number[]>();
    for (const [pid, times] of processes) children.set(times.ppid, [...(children.get(times.ppid) ?? []), pid]);
    const found = new Set<number>();
    const queue = [...roots];
    for (let pid = queue.pop(); pid !== undefined; pid = queue.pop()) {
      if (found.has(pid)) continue;
      found.add(pid);
      queue.push(...(children.get(pid) ?? []));
    }
    return found;
  }

  /** The stack's servers, from the pid files tools/infra keeps under the state folder. */
  private stackPids(): number[] {
    const pids: number[] = [];
    for (const [folder, file] of [
      ['run', null],
      ['data', 'postmaster.pid'],
    ] as const) {
      const base = path.join(this.options.stateDir, folder);
      if (!existsSync(base)) continue;
      for (const service of readdirSync(base)) {
        const dir = path.join(base, service);
        let names: string[];
        try {
          names = file ? [file] : readdirSync(dir).filter((name) => name.endsWith('.pid'));
        } catch {
          continue;
        }
        for (const name of names) {
          const pid = Number(readQuietly(path.join(dir, name))?.split('\n')[0]?.trim());
          if (Number.isInteger(pid) && pid > 0) pids.push(pid);
        }
      }
    }
    return pids;
  }

  private snapshot(): Snapshot {
    const processes = new Map<number, ProcessTimes>();
    let entries: string[] = [];
    try {
      entries = readdirSync('/proc');
    } catch {
      // Not Linux: nothing to read, and the summary says zero.
    }
    for (const entry of entries) {
      if (!/^\d+$/.test(entry)) continue;
      const pid = Number(entry);
      const stat = readQuietly(`/proc/${pid}/stat`);
      if (!stat) continue;
      const close = stat.lastIndexOf(')');
      const command = stat.slice(stat.indexOf('(') + 1, close);
      // Fields after the command: state(3) ppid(4) ... utime(14) stime(15) ... starttime(22).
      const fields = stat.slice(close + 2).split(' ');
      const ppid = Number(fields[1]);
      const ticks = Number(fields[11]) + Number(fields[12]);
      const start = fields[19] ?? '';
      let known = this.checkoutCache.get(pid);
      if (!known || known.start !== start) {
        const cmdline = readQuietly(`/proc/${pid}/cmdline`) ?? '';
        known = { start, fromCheckout: cmdline.includes(`${this.options.root}${path.sep}`) };
        this.checkoutCache.set(pid, known);
      }
      processes.set(pid, { ppid, ticks, command, fromCheckout: known.fromCheckout });
    }
    return { at: Date.now(), processes };
  }
}

function readQuietly(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

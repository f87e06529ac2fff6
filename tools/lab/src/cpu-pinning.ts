/**
 * CPU pinning for experiments whose load generator runs in the lab's own process: the lab (the
 * generator, every thread) on one CPU, what it measures on the others, so the generator's work
 * does not come out of the shop's CPU and the shop's does not delay the generator's clock.
 * Linux only, through taskset (util-linux) on running pids.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** `0-2,5` (as taskset and /proc/PID/status write it) -> [0, 1, 2, 5]. */
export function parseCpuList(text: string): number[] {
  const cpus = new Set<number>();
  for (const part of text.trim().split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!match) throw new Error(`"${text}" is not a CPU list (like 0-2,5)`);
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    if (to < from) throw new Error(`"${text}" is not a CPU list: ${part} runs backwards`);
    for (let cpu = from; cpu <= to; cpu++) cpus.add(cpu);
  }
  return [...cpus].sort((a, b) => a - b);
}

/** [0, 1, 2, 5] -> `0-2,5`. */
export function formatCpuList(cpus: readonly number[]): string {
  const sorted = [...new Set(cpus)].sort((a, b) => a - b);
  const ranges: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const from = sorted[i];
    while (i + 1 < sorted.length && sorted[i + 1] === sorted[i] + 1) i++;
    ranges.push(from === sorted[i] ? String(from) : `${from}-${sorted[i]}`);
  }
  return ranges.join(',');
}

export interface CpuSplit {
  /** The lab's own process: the load generator. */
  generator: number[];
  /** The shop and the servers it uses while measured. */
  shop: number[];
}

/**
 * The generator gets the first CPU this process may run on, the shop all the others; null with
 * fewer than 2 (nothing to split: the run is measured unpinned, and says so).
 */
export function splitCpus(allowed: readonly number[]): CpuSplit | null {
  const cpus = [...new Set(allowed)].sort((a, b) => a - b);
  if (cpus.length < 2) return null;
  return { generator: cpus.slice(0, 1), shop: cpus.slice(1) };
}

/** `--pin off` turns pinning off; `--pin on` (the default) keeps it. */
export function pinOption(args: readonly string[]): boolean {
  const index = args.indexOf('--pin');
  if (index === -1) return true;
  const value = args[index + 1];
  if (value === 'on') return true;
  if (value === 'off') return false;
  throw new Error(`--pin takes on or off, got "${value ?? ''}"`);
}

/** The CPUs a process may run on (its main thread's), from /proc/PID/status. */
export function allowedCpus(pid: number | 'self'): number[] {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const list = /^Cpus_allowed_list:\s*(\S+)/m.exec(status)?.[1];
  if (list === undefined) throw new Error(`/proc/${pid}/status has no Cpus_allowed_list: is this Linux?`);
  return parseCpuList(list);
}

/** A process and all its descendants (every thread's children), parents first. */
export function processTree(pid: number): number[] {
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${tree[i]}/task`);
    } catch {
      continue; // gone meanwhile
    }
    for (const task of tasks) {
      try {
        const children = readFileSync(`/proc/${tree[i]}/task/${task}/children`, 'utf8').trim();
        if (children) tree.push(...children.split(' ').map(Number));
      } catch {
        // the thread ended meanwhile
      }
    }
  }
  return tree;
}

/** Throws, saying what to do, when taskset is not there. */
export function requireTaskset(): void {
  const probe = spawnSync('taskset', ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0)
    throw new Error(
      'CPU pinning needs taskset (Debian package util-linux): install it (apt-get install util-linux), or run with --pin off',
    );
}

/**
 * Pins process trees with taskset (every thread: `taskset -a -p -c`) and remembers what each
 * pid had, so `restore()` puts every process still running back; a process forked meanwhile
 * under a pinned root (a PostgreSQL backend) gets its root's old CPUs.
 */
export class CpuPinner {
  readonly #original = new Map<number, string>();
  /** Roots whose whole tree is put back, with what the root had. */
  readonly #roots = new Map<number, string>();

  /**
   * Pins `pid` (every thread) and, unless `descendants` is false, all its descendants to `cpus`;
   * returns how many processes that was.
   */
  pin(pid: number, cpus: readonly number[], descendants = true): number {
    const list = formatCpuList(cpus);
    let pinned = 0;
    for (const member of descendants ? processTree(pid) : [pid]) {
      let before: string;
      try {
        before = formatCpuList(allowedCpus(member));
      } catch {
        continue; // ended meanwhile
      }
      if (!this.#original.has(member)) this.#original.set(member, before);
      if (descendants && member === pid && !this.#roots.has(pid)) this.#roots.set(pid, before);
      if (taskset(list, member)) pinned++;
      else if (member === pid) throw new Error(`taskset -a -p -c ${list} ${pid} failed: cannot pin process ${pid}`);
    }
    return pinned;
  }

  /** Puts back what each pinned process still running had. Safe to call twice. */
  restore(): void {
    for (const [root, before] of this.#roots) {
      for (const member of processTree(root)) taskset(this.#original.get(member) ?? before, member);
    }
    for (const [pid, before] of this.#original) if (!this.#roots.has(pid)) taskset(before, pid);
    this.#roots.clear();
    this.#original.clear();
  }
}

function taskset(list: string, pid: number): boolean {
  return spawnSync('taskset', ['-a', '-p', '-c', list, String(pid)], { stdio: 'ignore' }).status === 0;
}

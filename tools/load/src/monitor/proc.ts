import { readdirSync, readFileSync } from 'node:fs';

/** Linux's USER_HZ (sysconf(_SC_CLK_TCK)), 100 on every mainstream kernel. */
export const CLOCK_TICKS_PER_SECOND = 100;
const PAGE_SIZE = 4096;

export interface ProcStat {
  pid: number;
  ppid: number;
  /** The command name, as in `ps -o comm`. */
  comm: string;
  /** User + system CPU time so far, in ms. */
  cpuMs: number;
  rssBytes: number;
  /** When it started, in clock ticks after boot (tells a reused pid from the old one). */
  startTicks: number;
}

/** /proc/<pid>/stat, or null when the process has gone. */
export function readProcStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  return parseProcStat(pid, text);
}

export function parseProcStat(pid: number, text: string): ProcStat {
  // The command name may hold spaces and parentheses: the fields start after the last ')'.
  const close = text.lastIndexOf(')');
  const comm = text.slice(text.indexOf('(') + 1, close);
  const fields = text.slice(close + 2).split(' ');
  return {
    pid,
    ppid: Number(fields[1]),
    comm,
    cpuMs: ((Number(fields[11]) + Number(fields[12])) * 1_000) / CLOCK_TICKS_PER_SECOND,
    startTicks: Number(fields[19]),
    rssBytes: Number(fields[21]) * PAGE_SIZE,
  };
}

/** Every process on the machine, one read each. */
export function readAllProcesses(): Map<number, ProcStat> {
  const processes = new Map<number, ProcStat>();
  for (const name of readdirSync('/proc')) {
    const code = name.charCodeAt(0);
    if (code < 48 || code > 57) continue;
    const stat = readProcStat(Number(name));
    if (stat) processes.set(stat.pid, stat);
  }
  return processes;
}

/**
 * Proportional set size: the process's private memory plus its share of pages it shares
 * (PostgreSQL's shared buffers are counted once across its processes, not once per backend).
 */
export function readPssBytes(pid: number): number | null {
  try {
    const match = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1'));
    return match ? Number(match[1]) * 1_024 : null;
  } catch {
    return null;
  }
}

export function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/** A process's environment (readable for our own user's processes, or as root). */
export function readEnviron(pid: number): Map<string, string> {
  const environ = new Map<string, string>();
  try {
    for (const entry of readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0')) {
      const equals = entry.indexOf('=');
      if (equals > 0) environ.set(entry.slice(0, equals), entry.slice(equals + 1));
    }
  } catch {
    // Not ours to read: the caller treats it as an unknown environment.
  }
  return environ;
}

/** The machine's CPU time so far, in ms summed over cores: busy and total. */
export function readMachineCpu(): { busyMs: number; totalMs: number } {
  const line = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0];
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = ticks.reduce((sum, value) => sum + value, 0);
  // idle (3) and iowait (4) are time no process used the CPU.
  const idle = ticks[3] + ticks[4];
  const toMs = (value: number) => (value * 1_000) / CLOCK_TICKS_PER_SECOND;
  return { busyMs: toMs(total - idle), totalMs: toMs(total) };
}

/** Time since boot, in ms (the clock process start times count from). */
export function readUptimeMs(): number {
  return Number(readFileSync('/proc/uptime', 'latin1').split(' ')[0]) * 1_000;
}

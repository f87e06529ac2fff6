import { readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = 100;
const PAGE_SIZE = 4096;

export interface ProcessSample {
  /** User + system CPU time consumed so far, in milliseconds. */
  cpuMs: number;
  /** Resident memory, in bytes. */
  rssBytes: number;
}

/**
 * CPU time and RSS of any process on this machine, read from /proc (Linux): how the lab
 * charges CPU per request to the balancer, nginx or an api instance rather than to itself.
 */
export function sampleProcess(pid: number): ProcessSample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const rssPages = Number(fields[21]);
  return { cpuMs: ((utime + stime) * 1000) / CLOCK_TICKS_PER_SECOND, rssBytes: rssPages * PAGE_SIZE };
}

/** CPU used by a group of processes (e.g. nginx master + workers) between two samples. */
export function cpuDeltaMs(before: ProcessSample[], after: ProcessSample[]): number {
  const sum = (samples: ProcessSample[]) => samples.reduce((total, sample) => total + sample.cpuMs, 0);
  return sum(after) - sum(before);
}

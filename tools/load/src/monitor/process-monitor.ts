import { backendClientPort, localPortsOf } from './postgres-clients';
import { CLOCK_TICKS_PER_SECOND, readAllProcesses, readCmdline, readMachineCpu, readPssBytes, readUptimeMs, type ProcStat } from './proc';
import { membersOf, type ProcessGroup } from './shop-processes';

export type GroupKind = ProcessGroup['kind'] | 'other';

/** Memory of every group at one moment. */
export interface MemorySnapshot {
  label: string;
  /** Seconds since the monitor started. */
  t: number;
  groups: { name: string; kind: GroupKind; processes: number; rssBytes: number; pssBytes: number | null }[];
  /** Summed over the shop's groups (not the load tool, not other clients' database backends). */
  shopRssBytes: number;
  shopPssBytes: number | null;
}

/** CPU of every group over one interval, in % of one core (200% = both cores of this machine). */
export interface CpuSample {
  t: number;
  groups: Record<string, number>;
  /** The whole machine, in % of one core. */
  machine: number;
  /** Everything on the machine that is neither the shop nor the load tool (other people's work). */
  other: number;
  shopRssBytes: number;
}

export interface MonitorOptions {
  /**
   * Count only the PostgreSQL backends whose client is a process of the shop (the stack is
   * shared). Needs the shop's own processes among the groups; off otherwise.
   */
  attributeBackends: boolean;
}

/** How often, at most, the shop's connections are looked up again when an unknown backend appears. */
const PORT_RECHECK_MS = 5_000;

/** The group that collects other clients' database backends (shown, never summed into the shop). */
export const OTHER_BACKENDS = 'postgres: other clients';

/**
 * Watches the shop's processes from /proc while a run goes on: CPU per group at each sample
 * (driven by the run's one-second windows), RSS summed, and full memory snapshots (RSS and
 * PSS) on request: idle before the run, at full load when the hold ends.
 *
 * CPU is counted per live process between two samples; a process that starts and ends
 * between two samples (a short ffmpeg) is missed, and one that ends loses its last second.
 */
export class ProcessMonitor {
  readonly groups: readonly ProcessGroup[];
  readonly samples: CpuSample[] = [];
  readonly snapshots: MemorySnapshot[] = [];
  readonly #attribute: boolean;
  readonly #started = performance.now();
  /** Last CPU time seen per process, keyed by pid and start time (pids get reused). */
  #lastCpu = new Map<string, number>();
  #lastSampleAt = 0;
  #lastMachine = readMachineCpu();
  #lastUptimeMs = 0;
  /** Per backend (pid:start): its client's port, or null for PostgreSQL's own processes. */
  readonly #backendPorts = new Map<string, number | null>();
  #shopPorts = new Set<number>();
  #otherPorts = new Set<number>();
  #portsCheckedAt = -Infinity;
  #excluded: ProcStat[] = [];

  constructor(groups: readonly ProcessGroup[], options: MonitorOptions) {
    this.groups = uniqueGroups(groups);
    this.#attribute = options.attributeBackends;
    this.sample();
    this.samples.length = 0;
  }

  /** The groups' CPU since the previous sample. */
  sample(): CpuSample {
    // The clock and the machine's counters are read together, before the slower walk over
    // /proc, so both deltas cover the same interval even when this thread waits for a CPU.
    const now = performance.now();
    const machine = readMachineCpu();
    const uptimeMs = readUptimeMs();
    const processes = readAllProcesses();
    const members = this.#members(processes);
    const elapsed = now - this.#lastSampleAt;
    const next = new Map<string, number>();
    const groups: Record<string, number> = {};
    let measured = 0;
    let shopRss = 0;
    const cpuOf = (stats: readonly ProcStat[]) => {
      let cpuMs = 0;
      for (const stat of stats) {
        const key = `${stat.pid}:${stat.startTicks}`;
        const previous = this.#lastCpu.get(key);
        if (previous !== undefined) cpuMs += stat.cpuMs - previous;
        // First seen now: if it started since the last sample, all its CPU time is new.
        else if (this.#lastSampleAt !== 0 && stat.startTicks * (1_000 / CLOCK_TICKS_PER_SECOND) >= this.#lastUptimeMs) cpuMs += stat.cpuMs;
        next.set(key, stat.cpuMs);
      }
      return cpuMs;
    };
    for (const group of this.groups) {
      const stats = members.get(group.name) ?? [];
      const cpuMs = cpuOf(stats);
      if (group.kind === 'shop') for (const stat of stats) shopRss += stat.rssBytes;
      groups[group.name] = elapsed > 0 ? round((cpuMs / elapsed) * 100) : 0;
      measured += cpuMs;
    }
    if (this.#excluded.length > 0) cpuOf(this.#excluded);
    const machineBusy = machine.busyMs - this.#lastMachine.busyMs;
    this.#lastMachine = machine;
    this.#lastCpu = next;
    this.#lastSampleAt = now;
    this.#lastUptimeMs = uptimeMs;
    const sample: CpuSample = {
      t: Math.round((now - this.#started) / 100) / 10,
      groups,
      machine: round(elapsed > 0 ? (machineBusy / elapsed) * 100 : 0),
      other: round(elapsed > 0 ? Math.max(0, ((machineBusy - measured) / elapsed) * 100) : 0),
      shopRssBytes: shopRss,
    };
    this.samples.push(sample);
    return sample;
  }

  /** RSS and PSS of every group now. */
  snapshot(label: string): MemorySnapshot {
    // A snapshot is rare and is the memory number: look the shop's connections up afresh.
    this.#portsCheckedAt = -Infinity;
    const members = this.#members(readAllProcesses());
    const measure = (name: string, kind: GroupKind, stats: readonly ProcStat[]) => {
      // A process that ended since the listing (a backend, an ffmpeg) has no PSS: leave it out of both sums.
      let pss = 0;
      let rss = 0;
      let processes = 0;
      for (const stat of stats) {
        const value = readPssBytes(stat.pid);
        if (value === null) continue;
        pss += value;
        rss += stat.rssBytes;
        processes += 1;
      }
      return { name, kind, processes, rssBytes: rss, pssBytes: pss };
    };
    const groups: MemorySnapshot['groups'] = this.groups.map((group) => measure(group.name, group.kind, members.get(group.name) ?? []));
    if (this.#excluded.length > 0) groups.push(measure(OTHER_BACKENDS, 'other', this.#excluded));
    const shop = groups.filter((group) => group.kind === 'shop');
    const snapshot: MemorySnapshot = {
      label,
      t: Math.round((performance.now() - this.#started) / 100) / 10,
      groups,
      shopRssBytes: shop.reduce((sum, group) => sum + group.rssBytes, 0),
      shopPssBytes: shop.reduce((sum, group) => sum + (group.pssBytes ?? 0), 0),
    };
    this.snapshots.push(snapshot);
    return snapshot;
  }

  /** Each group's processes; with attribution, without other clients' database backends. */
  #members(processes: Map<number, ProcStat>): Map<string, ProcStat[]> {
    this.#excluded = [];
    if (!this.#attribute) return membersOf(this.groups, processes);
    const postgresRoots = new Set(
      this.groups.filter((group) => processes.get(group.rootPid)?.comm === 'postgres').map((group) => group.rootPid),
    );
    const portOf = (stat: ProcStat): number | null => {
      const key = `${stat.pid}:${stat.startTicks}`;
      let port = this.#backendPorts.get(key);
      if (port === undefined) {
        port = backendClientPort(readCmdline(stat.pid));
        this.#backendPorts.set(key, port);
      }
      return port;
    };
    const isBackend = (stat: ProcStat) => stat.comm === 'postgres' && postgresRoots.has(stat.ppid);
    const everything = membersOf(this.groups, processes);
    // A backend whose client port is new: find the shop's connections again.
    const backendPorts = [...processes.values()].filter(isBackend).map(portOf);
    // (At most every few seconds: other clients' connections come and go all the time.)
    const unknown = backendPorts.some((port) => port !== null && !this.#shopPorts.has(port) && !this.#otherPorts.has(port));
    if (unknown && performance.now() - this.#portsCheckedAt >= PORT_RECHECK_MS) {
      this.#portsCheckedAt = performance.now();
      const shopPids = this.groups
        .filter((group) => group.kind === 'shop')
        .flatMap((group) => (everything.get(group.name) ?? []).map((stat) => stat.pid));
      this.#shopPorts = localPortsOf(shopPids);
      this.#otherPorts = new Set(backendPorts.filter((port): port is number => port !== null && !this.#shopPorts.has(port)));
      if (this.#backendPorts.size > 10_000) this.#backendPorts.clear();
    }
    const excluded: ProcStat[] = [];
    const members = membersOf(this.groups, processes, (stat) => {
      if (!isBackend(stat)) return true;
      const port = portOf(stat);
      if (port === null || this.#shopPorts.has(port)) return true;
      excluded.push(stat);
      return false;
    });
    this.#excluded = excluded;
    return members;
  }
}

/** One group per root process, each with its own name (a second `redis-cache` becomes `redis-cache#2`). */
function uniqueGroups(groups: readonly ProcessGroup[]): ProcessGroup[] {
  const byPid = new Map<number, ProcessGroup>();
  for (const group of groups) if (!byPid.has(group.rootPid)) byPid.set(group.rootPid, group);
  const seen = new Map<string, number>();
  return [...byPid.values()].map((group) => {
    const count = (seen.get(group.name) ?? 0) + 1;
    seen.set(group.name, count);
    return count === 1 ? group : { ...group, name: `${group.name}#${count}` };
  });
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

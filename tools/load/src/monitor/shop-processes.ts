import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { TenkConfig } from '@tenk/config';
import { readAllProcesses, readCmdline, readEnviron, type ProcStat } from './proc';

/**
 * A named set of processes measured together: a root process and all its descendants
 * (PostgreSQL's postmaster and its backends; media-worker and the ffmpeg it runs).
 */
export interface ProcessGroup {
  name: string;
  /** `shop`: part of the shop's footprint; `harness`: the load tool and what it brought along. */
  kind: 'shop' | 'harness';
  rootPid: number;
}

/** The local stack's services, from the pid files tools/infra writes. */
export function infraGroups(config: TenkConfig): ProcessGroup[] {
  const groups: ProcessGroup[] = [];
  const fromPidFile = (name: string, file: string, firstLineOnly = false) => {
    if (!existsSync(file)) return;
    const text = readFileSync(file, 'utf8');
    const pid = Number((firstLineOnly ? text.split('\n')[0] : text).trim());
    if (Number.isInteger(pid) && pid > 0 && existsSync(`/proc/${pid}`)) groups.push({ name, kind: 'shop', rootPid: pid });
  };
  fromPidFile('postgres-primary', path.join(config.paths.data, 'postgres-primary', 'postmaster.pid'), true);
  fromPidFile('postgres-replica', path.join(config.paths.data, 'postgres-replica', 'postmaster.pid'), true);
  for (const service of ['redis-cache', 'redis-queue', 'kafka', 'smtp-sink']) {
    const dir = path.join(config.paths.run, service);
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir).filter((name) => name.endsWith('.pid'))) fromPidFile(service, path.join(dir, file));
  }
  return groups;
}

/** The shop's processes as the launcher that started them names them (`api-1`, `balancer`). */
export function launchedGroups(pids: Record<string, number>): ProcessGroup[] {
  return Object.entries(pids).map(([name, pid]) => ({ name, kind: 'shop' as const, rootPid: pid }));
}

/**
 * A shop this tool did not start (`--url` at `npm start`'s shop, say): its node processes
 * are found by their command line (this workspace's dist/apps/* or payment-sim) and told
 * from other shops on the machine (the e2e and lab shops) by the balancer port in their
 * environment, which the launcher gives every process of one shop.
 */
export function scannedShopGroups(workspaceRoot: string, balancerPort: number, defaultBalancerPort: number): ProcessGroup[] {
  const groups: ProcessGroup[] = [];
  const processes = readAllProcesses();
  for (const stat of processes.values()) {
    if (stat.comm !== 'node') continue;
    const app = appOf(readCmdline(stat.pid), workspaceRoot);
    if (app === null) continue;
    // A child of another shop process (a worker thread host, say) is measured with its parent.
    const parent = processes.get(stat.ppid);
    if (parent && parent.comm === 'node' && appOf(readCmdline(parent.pid), workspaceRoot) !== null) continue;
    const environ = readEnviron(stat.pid);
    const port = Number(environ.get('TENK_BALANCER_PORT') ?? defaultBalancerPort);
    if (port !== balancerPort) continue;
    const name = app === 'api' ? `api :${environ.get('TENK_API_PORT') ?? '?'}` : app;
    groups.push({ name, kind: 'shop', rootPid: stat.pid });
  }
  return groups.sort((a, b) => a.name.localeCompare(b.name));
}

/** `api`, `balancer`, `payment-sim`, ... for a shop process's command line; null for anything else. */
export function appOf(cmdline: string, workspaceRoot: string): string | null {
  const root = workspaceRoot.replace(/\/$/, '');
  const app = new RegExp(`${escapeRegExp(root)}/dist/apps/([a-z-]+)/`).exec(cmdline);
  if (app) return app[1];
  if (cmdline.includes(`${root}/dist/tools/payment-sim/`) || cmdline.includes(`${root}/tools/payment-sim/src/main.ts`))
    return 'payment-sim';
  return null;
}

/**
 * Each group's processes: its root and every descendant alive in `processes`, except
 * descendants that are another group's root (the load tool's child that runs the shop is
 * its own group, and so is every shop process under it), and descendants `include` refuses.
 */
export function membersOf(
  groups: readonly ProcessGroup[],
  processes: Map<number, ProcStat>,
  include: (stat: ProcStat) => boolean = () => true,
): Map<string, ProcStat[]> {
  const children = new Map<number, number[]>();
  for (const stat of processes.values()) {
    const list = children.get(stat.ppid);
    if (list) list.push(stat.pid);
    else children.set(stat.ppid, [stat.pid]);
  }
  const roots = new Set(groups.map((group) => group.rootPid));
  const members = new Map<string, ProcStat[]>();
  for (const group of groups) {
    const found: ProcStat[] = [];
    const queue = processes.has(group.rootPid) ? [group.rootPid] : [];
    while (queue.length > 0) {
      const pid = queue.pop() as number;
      const stat = processes.get(pid);
      if (!stat) continue;
      found.push(stat);
      for (const child of children.get(pid) ?? []) {
        const childStat = processes.get(child);
        if (!roots.has(child) && childStat && include(childStat)) queue.push(child);
      }
    }
    const list = members.get(group.name) ?? [];
    list.push(...found);
    members.set(group.name, list);
  }
  return members;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * Which PostgreSQL backends serve this shop. The local stack is shared (other shops, tests),
 * and every client connection is a backend process of its own, so the shop's memory and CPU
 * count only the backends whose client is one of the shop's processes: the backend's title
 * holds its client's port ("postgres: tenk shop 127.0.0.1(56200) idle"), and the shop's
 * processes' sockets give their local ports (/proc/<pid>/fd -> socket inode -> /proc/net/tcp).
 */
export function backendClientPort(cmdline: string): number | null {
  const match = /^postgres: .*\((\d+)\)/.exec(cmdline);
  return match ? Number(match[1]) : null;
}

/** Local ports of the TCP connections the given processes hold. */
export function localPortsOf(pids: Iterable<number>): Set<number> {
  const inodes = new Set<string>();
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        if (target.startsWith('socket:[')) inodes.add(target.slice(8, -1));
      } catch {
        // The descriptor closed while we looked: not a connection any more.
      }
    }
  }
  const ports = new Set<number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'latin1');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || !inodes.has(fields[9])) continue;
      const local = fields[1];
      ports.add(parseInt(local.slice(local.lastIndexOf(':') + 1), 16));
    }
  }
  return ports;
}

import net from 'node:net';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function isListening(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Throws when something else already listens on a port a service is about to take, naming
 * the process that holds it and the variable that moves the service to another port.
 */
export async function ensurePortFree(service: string, port: number, variable: string, host = '127.0.0.1'): Promise<void> {
  if (await isListening(port, host)) {
    throw new Error(
      `port ${port} (${service}) is already in use by ${describeListener(port)}. Stop it, or set ${variable} to a free port.`,
    );
  }
}

/** Which process listens on a local TCP port (Linux /proc), for error messages. */
export function describeListener(port: number): string {
  try {
    const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
    const inodes = new Set<string>();
    for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
      for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
        const fields = line.trim().split(/\s+/);
        // local_address is fields[1] (ADDR:PORT), state 0A is LISTEN, inode is fields[9].
        if (fields[1]?.endsWith(`:${hexPort}`) && fields[3] === '0A') inodes.add(fields[9]);
      }
    }
    for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      let fds: string[];
      try {
        fds = readdirSync(`/proc/${pid}/fd`);
      } catch {
        continue;
      }
      for (const fd of fds) {
        let target = '';
        try {
          target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
          continue;
        }
        const match = /^socket:\[(\d+)\]$/.exec(target);
        if (match && inodes.has(match[1])) {
          const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
          return `pid ${pid}: ${cmd.slice(0, 120)}`;
        }
      }
    }
  } catch {
    return 'another process';
  }
  return 'another process';
}

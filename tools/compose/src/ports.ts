/**
 * Whether the published ports can be bound on 127.0.0.1 before Compose tries (it would fail
 * after minutes of building, with "address already in use" and no owner), and what holds one
 * that cannot: the socket from /proc/net/tcp{,6} (a listener, or a connection whose local port
 * it is, as outgoing connections take ports of the ephemeral range) and its process.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import net from 'node:net';

/** TCP states as /proc/net/tcp numbers them (include/net/tcp_states.h). */
const STATES: Record<string, string> = {
  '01': 'ESTABLISHED',
  '02': 'SYN_SENT',
  '03': 'SYN_RECV',
  '04': 'FIN_WAIT1',
  '05': 'FIN_WAIT2',
  '06': 'TIME_WAIT',
  '07': 'CLOSE',
  '08': 'CLOSE_WAIT',
  '09': 'LAST_ACK',
  '0A': 'LISTEN',
  '0B': 'CLOSING',
};

export interface PortSocket {
  local: string;
  remote: string;
  state: string;
  inode: number;
  /** The processes holding it (`pid name`), where /proc lets us see them. */
  holders: string[];
}

/** Whether 127.0.0.1:port can be bound now (as docker-proxy binds it: address reuse on, so TIME_WAIT does not count). */
export function canBind(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      error.code === 'EADDRINUSE' || error.code === 'EACCES' ? resolve(false) : reject(error),
    );
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** The sockets whose local port is `port` (TIME_WAIT ones left out: they hold no process and block no bind). */
export function socketsOnPort(port: number): PortSocket[] {
  const found: PortSocket[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue; // no IPv6 (or no /proc): nothing to list from it
    }
    for (const line of text.trim().split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [local, remote, state, inode] = [fields[1], fields[2], fields[3], Number(fields[9])];
      if (parseInt(local.split(':')[1], 16) !== port || state === '06') continue;
      found.push({ local: address(local), remote: address(remote), state: STATES[state] ?? state, inode, holders: [] });
    }
  }
  const byInode = new Map(found.filter((socket) => socket.inode > 0).map((socket) => [`socket:[${socket.inode}]`, socket]));
  if (byInode.size > 0) for (const [link, holder] of socketOwners(new Set(byInode.keys()))) byInode.get(link)?.holders.push(holder);
  return found;
}

/** A sentence on what holds the port, for an error message. */
export function describeHolders(port: number, sockets = socketsOnPort(port)): string {
  if (sockets.length === 0) return 'by a socket /proc/net/tcp does not list (another network namespace, or not TCP)';
  return sockets
    .map((socket) => {
      const who = socket.holders.length > 0 ? ` of ${socket.holders.join(', ')}` : ' (its process not visible here)';
      return socket.state === 'LISTEN'
        ? `by a listener on ${socket.local}${who}`
        : `by a connection ${socket.local} -> ${socket.remote} (${socket.state})${who}`;
    })
    .join('; ');
}

/** This machine's ephemeral port range (net.ipv4.ip_local_port_range), where outgoing connections take their local ports. */
export function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high)) return [low, high];
  } catch {
    // not Linux: Linux's default range
  }
  return [32768, 60999];
}

/**
 * Throws, naming each variable, its port and what holds it, when any of `ports` cannot be
 * bound on 127.0.0.1.
 */
export async function ensurePortsFree(ports: Record<string, number>): Promise<void> {
  const taken: string[] = [];
  for (const [variable, port] of Object.entries(ports)) {
    if (await canBind(port)) continue;
    const [low, high] = ephemeralRange();
    const ephemeral =
      port >= low && port <= high ? ` (it lies in this machine's ephemeral port range ${low}-${high}: choose one below ${low})` : '';
    taken.push(`port ${port} (${variable}) is taken ${describeHolders(port)}; set ${variable} to a free port${ephemeral}`);
  }
  if (taken.length > 0) throw new Error(`the shop's published ports must be free on 127.0.0.1:\n  ${taken.join('\n  ')}`);
}

/**
 * For Docker's "address already in use" / "port is already allocated" in `message`: a line
 * naming the port, its variable and what holds it now (undefined for any other failure).
 */
export function bindFailureHolder(message: string, ports: Record<string, number>): string | undefined {
  const match = /(?:\d{1,3}\.){3}\d{1,3}:(\d+)\b[^\n]*(address already in use|port is already allocated)/i.exec(message);
  if (!match) return undefined;
  const port = Number(match[1]);
  const variable = Object.entries(ports).find(([, value]) => value === port)?.[0] ?? 'its variable';
  return `\nport ${port} (${variable}) is held ${describeHolders(port)}; set ${variable} to a free port`;
}

/** `0100007F:1F90` -> `127.0.0.1:8080`; IPv6 compressed (`[::1]:8080`), `::ffff:` mapped IPv4 shown as IPv4. */
function address(hex: string): string {
  const [ip, port] = hex.split(':');
  const portNumber = parseInt(port, 16);
  if (ip.length === 8) return `${ipv4(ip)}:${portNumber}`;
  // /proc writes IPv6 as four 32-bit words, each in the machine's (little-endian) byte order.
  const bytes = (ip.match(/.{8}/g) ?? []).map((word) => hexBytes(word).reverse().join('')).join('');
  if (bytes.startsWith('00000000000000000000FFFF')) return `${ipv4(ip.slice(24))}:${portNumber}`;
  const groups = (bytes.match(/.{4}/g) ?? []).join(':');
  return `${new URL(`http://[${groups}]/`).hostname}:${portNumber}`;
}

const hexBytes = (hex: string): string[] => hex.match(/../g) ?? [];

const ipv4 = (hex: string): string =>
  hexBytes(hex)
    .map((byte) => parseInt(byte, 16))
    .reverse()
    .join('.');

/** For each `socket:[inode]` link wanted, the processes that hold it open (`pid name`). */
function socketOwners(wanted: Set<string>): Array<[string, string]> {
  const owners: Array<[string, string]> = [];
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or another user's
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (wanted.has(link)) owners.push([link, `pid ${pid} (${processName(pid)})`]);
    }
  }
  return owners;
}

function processName(pid: string): string {
  try {
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ').replace(/\s+/g, ' ');
    return command.length > 80 ? `${command.slice(0, 77)}...` : command || '?';
  } catch {
    return '?';
  }
}

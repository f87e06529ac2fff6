/**
 * nginx's value syntax: times (`500ms`, `5s`, `1h30m`, a bare number is seconds), sizes
 * (`512`, `8k`, `1m`, `1g`), rates (`10r/s`, `60r/m`), flags (`on`/`off`) and addresses.
 * Each parser returns undefined for text it cannot read, so callers can name the directive.
 */
const TIME_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  M: 2_592_000_000,
  y: 31_536_000_000,
};

/** A time in milliseconds; a bare number is seconds, as in nginx. */
export function parseTime(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const part = /(\d+)\s*(ms|s|m|h|d|w|M|y)\s*/y;
  let total = 0;
  let index = 0;
  while (index < trimmed.length) {
    part.lastIndex = index;
    const match = part.exec(trimmed);
    if (!match) return undefined;
    total += Number(match[1]) * TIME_UNITS[match[2]];
    index = part.lastIndex;
  }
  return index === 0 ? undefined : total;
}

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** A size in bytes: `1024`, `8k`, `1m`, `1g` (either case). */
export function parseSize(text: string): number | undefined {
  const match = /^(\d+)([kKmMgG]?)$/.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * SIZE_UNITS[match[2].toLowerCase()];
}

/** A request rate in requests per second: `10r/s`, `30r/m`. */
export function parseRate(text: string): number | undefined {
  const match = /^(\d+)r\/([sm])$/.exec(text.trim());
  if (!match || Number(match[1]) === 0) return undefined;
  return match[2] === 's' ? Number(match[1]) : Number(match[1]) / 60;
}

export function parseFlag(text: string): boolean | undefined {
  if (text === 'on') return true;
  if (text === 'off') return false;
  return undefined;
}

export function parseNonNegativeInt(text: string): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

export function parsePositiveInt(text: string): number | undefined {
  const value = parseNonNegativeInt(text);
  return value === undefined || value === 0 ? undefined : value;
}

export interface HostPort {
  host: string;
  port: number;
}

/**
 * `host:port`, `[v6]:port`, `*:port` or a bare `port` (all addresses), as `listen` takes them.
 * Port 0 asks the system for a free port (tests use it; nginx does not allow it).
 */
export function parseListenAddress(text: string): HostPort | undefined {
  if (/^\d+$/.test(text)) return portOnly(text, '0.0.0.0');
  const v6 = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(text);
  if (v6) return portOnly(v6[2], v6[1]);
  if (/^\[[0-9a-fA-F:.]+\]$/.test(text)) return undefined;
  const colon = text.lastIndexOf(':');
  if (colon <= 0) return undefined;
  const host = text.slice(0, colon);
  if (host.includes(':')) return undefined;
  return portOnly(text.slice(colon + 1), host === '*' ? '0.0.0.0' : host);
}

/** An upstream `server` address: `host[:port]` (port 80 when left out, as in nginx). */
export function parseServerAddress(text: string): HostPort | undefined {
  if (text.startsWith('unix:')) return undefined;
  const v6 = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(text);
  if (v6) return portOnly(v6[2] ?? '80', v6[1], false);
  const colon = text.lastIndexOf(':');
  const host = colon === -1 ? text : text.slice(0, colon);
  // Underscores too, as nginx takes them: Docker Compose v1 names containers project_api_1.
  if (!/^[A-Za-z0-9._-]+$/.test(host)) return undefined;
  return portOnly(colon === -1 ? '80' : text.slice(colon + 1), host, false);
}

function portOnly(portText: string, host: string, allowZero = true): HostPort | undefined {
  if (!/^\d{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port > 65535 || (port === 0 && !allowZero)) return undefined;
  return { host, port };
}

/** `a.b.c.d:port` or `[v6]:port` for messages and status pages. */
export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

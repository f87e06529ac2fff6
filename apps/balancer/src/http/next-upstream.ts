/**
 * proxy_next_upstream: when a failed attempt may be passed to the next peer. Bits, so a
 * location's setting is one number and the check on the hot path is one `&`.
 */
export const NextUpstream = {
  error: 1 << 0,
  timeout: 1 << 1,
  invalid_header: 1 << 2,
  http_500: 1 << 3,
  http_502: 1 << 4,
  http_503: 1 << 5,
  http_504: 1 << 6,
  http_403: 1 << 7,
  http_404: 1 << 8,
  http_429: 1 << 9,
  non_idempotent: 1 << 10,
} as const;

export type NextUpstreamFlag = keyof typeof NextUpstream;

export const DEFAULT_NEXT_UPSTREAM = NextUpstream.error | NextUpstream.timeout;

/** Statuses that proxy_next_upstream can name, and that then count as a failed attempt too. */
const STATUS_FLAGS: Record<number, number> = {
  500: NextUpstream.http_500,
  502: NextUpstream.http_502,
  503: NextUpstream.http_503,
  504: NextUpstream.http_504,
  403: NextUpstream.http_403,
  404: NextUpstream.http_404,
  429: NextUpstream.http_429,
};

/** As nginx: 403 and 404 can be retried elsewhere but never count against the peer's health. */
const FAILURE_STATUS_MASK =
  NextUpstream.http_500 | NextUpstream.http_502 | NextUpstream.http_503 | NextUpstream.http_504 | NextUpstream.http_429;

/** Parses the directive's arguments into a bit set, or returns what is wrong. */
export function parseNextUpstream(args: readonly string[]): number | string {
  if (args.length === 1 && args[0] === 'off') return 0;
  let flags = 0;
  for (const arg of args) {
    if (arg === 'off') return '"off" cannot be combined with other values';
    if (arg === 'updating') continue;
    const flag = (NextUpstream as Record<string, number>)[arg];
    if (flag === undefined) return `unknown value "${arg}" (use: ${[...Object.keys(NextUpstream), 'off'].join(', ')})`;
    flags |= flag;
  }
  return flags;
}

/** The flag for an upstream response status, or 0 when no setting retries it. */
export function statusFlag(status: number): number {
  return STATUS_FLAGS[status] ?? 0;
}

/** Whether a response with this status counts as a failed attempt for passive health. */
export function isFailureStatus(flags: number, status: number): boolean {
  const flag = STATUS_FLAGS[status] ?? 0;
  return (flag & FAILURE_STATUS_MASK & flags) !== 0;
}

/** nginx's list: a request with one of these methods is not repeated once it has been sent. */
export function isNonIdempotent(method: string): boolean {
  return method === 'POST' || method === 'PATCH' || method === 'LOCK';
}

export function describeNextUpstream(flags: number): string {
  if (flags === 0) return 'off';
  return Object.entries(NextUpstream)
    .filter(([, bit]) => (flags & bit) !== 0)
    .map(([name]) => name)
    .join(' ');
}

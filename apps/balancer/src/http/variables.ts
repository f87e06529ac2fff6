import type { IncomingMessage } from 'node:http';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Socket } from 'node:net';
import type { UpstreamTrail } from './upstream-trail';

/** What a template can read about the request being handled. */
export interface VariableContext {
  readonly req: IncomingMessage;
  /** The client's address ($remote_addr). */
  readonly clientAddress: string;
  /** The normalized, decoded path ($uri). */
  readonly uri: string;
  readonly requestId: string;
  readonly scheme: string;
  readonly serverPort: number;
  /** The upstream's name as proxy_pass writes it ($proxy_host). */
  readonly proxyHost: string;
  /**
   * What is known once the request is (being) answered, for log formats and headers: set by
   * RequestRecord; optional so a bare context (tests, picks outside a request) reads as empty.
   */
  readonly status?: number;
  readonly bytesSent?: number;
  /** performance.now() when the request arrived. */
  readonly startedAt?: number;
  /** Set when the response ended (0 before). */
  readonly durationMs?: number;
  /** The current try: peer address, its status (0: none yet), and times in ms (-1: unknown). */
  readonly peerAddress?: string;
  readonly upstreamStatus?: number;
  readonly upstreamMs?: number;
  readonly upstreamConnectMs?: number;
  readonly upstreamHeaderMs?: number;
  /** Earlier tries and upstream groups ($upstream_addr's "a, b : c"), null when there were none. */
  readonly trail?: UpstreamTrail | null;
  /** Captures of the last regex that matched (a regex location, an `if`): $1 ... $9. */
  captures?: readonly (string | undefined)[] | null;
  /** The location answering: its regex gives $1 ... $9 until an `if` matches another. */
  readonly location?: { readonly regex: RegExp | null } | null;
}

/**
 * Switches for book-keeping that costs something on every request, turned on when a template
 * that needs it is compiled (a configuration that never uses them never pays): the per-connection
 * counters behind $connection / $connection_requests, and the upstream connect / header times.
 * Once on they stay on (a reload may drop the variable; counting a little too much is harmless).
 */
export const variableFeatures = { connections: false, upstreamTimes: false };

const CONNECTION = Symbol('tenk.connection');
let connectionSerial = 0;

interface ConnectionCounter {
  id: number;
  requests: number;
}

/** Called once per request while variableFeatures.connections is on. */
export function countConnectionRequest(socket: Socket): void {
  const holder = socket as Socket & { [CONNECTION]?: ConnectionCounter };
  const counter = holder[CONNECTION];
  if (counter === undefined) holder[CONNECTION] = { id: ++connectionSerial, requests: 1 };
  else counter.requests++;
}

function connectionOf(c: VariableContext): ConnectionCounter | undefined {
  return (c.req.socket as Socket & { [CONNECTION]?: ConnectionCounter })[CONNECTION];
}

type Getter = (context: VariableContext, argument: string) => string;

const PLAIN: Record<string, Getter> = {
  remote_addr: (c) => c.clientAddress,
  binary_remote_addr: (c) => c.clientAddress,
  remote_port: (c) => String(c.req.socket.remotePort ?? ''),
  // ngx_http_realip_module: the peer's address before real_ip_header replaced it.
  realip_remote_addr: (c) => c.req.socket.remoteAddress ?? '',
  realip_remote_port: (c) => String(c.req.socket.remotePort ?? ''),
  scheme: (c) => c.scheme,
  https: () => '',
  server_port: (c) => String(c.serverPort),
  server_protocol: (c) => `HTTP/${c.req.httpVersion}`,
  host: (c) => hostOf(c.req),
  request_uri: (c) => c.req.url ?? '/',
  uri: (c) => c.uri,
  document_uri: (c) => c.uri,
  args: (c) => queryOf(c.req.url),
  query_string: (c) => queryOf(c.req.url),
  is_args: (c) => ((c.req.url ?? '').includes('?') ? '?' : ''),
  request_method: (c) => c.req.method ?? 'GET',
  request_id: (c) => c.requestId,
  proxy_host: (c) => c.proxyHost,
  proxy_add_x_forwarded_for: (c) => {
    const previous = rawHeader(c.req.rawHeaders, 'x-forwarded-for');
    return previous ? `${previous}, ${c.clientAddress}` : c.clientAddress;
  },
  // nginx users define it with a `map` (tenk has none): "upgrade" when the client asks for an
  // upgrade, else "close". Only its use in `proxy_set_header Connection` matters (header-plans.ts).
  connection_upgrade: (c) => (rawHeader(c.req.rawHeaders, 'upgrade') === '' ? 'close' : 'upgrade'),
  content_length: (c) => rawHeader(c.req.rawHeaders, 'content-length'),
  content_type: (c) => rawHeader(c.req.rawHeaders, 'content-type'),
  // ngx_http_proxy_module: the port of proxy_pass (80 for an upstream name).
  proxy_port: (c) => {
    const match = /:(\d+)$/.exec(c.proxyHost);
    return c.proxyHost === '' ? '' : match === null ? '80' : match[1];
  },
  request: (c) => `${c.req.method ?? 'GET'} ${c.req.url ?? '/'} HTTP/${c.req.httpVersion}`,
  remote_user: () => '',
  status: (c) => (c.status ? String(c.status) : ''),
  body_bytes_sent: (c) => String(c.bytesSent ?? 0),
  request_time: (c) =>
    seconds(
      c.durationMs !== undefined && c.durationMs > 0 ? c.durationMs : c.startedAt === undefined ? 0 : performance.now() - c.startedAt,
    ),
  msec: () => (Date.now() / 1000).toFixed(3),
  time_local: () => clock().local,
  time_iso8601: () => clock().iso,
  hostname: () => HOSTNAME,
  pid: () => String(process.pid),
  connection: (c) => String(connectionOf(c)?.id ?? ''),
  connection_requests: (c) => String(connectionOf(c)?.requests ?? ''),
  // ngx_http_upstream_module: one value per try ("," between tries, " : " between upstream groups).
  upstream_addr: (c) => upstreamList(c, 'addr', c.peerAddress ?? ''),
  upstream_status: (c) => upstreamList(c, 'status', c.upstreamStatus ? String(c.upstreamStatus) : c.peerAddress ? '502' : ''),
  upstream_response_time: (c) => upstreamList(c, 'response', msText(c, c.upstreamMs)),
  upstream_connect_time: (c) => upstreamList(c, 'connect', msText(c, c.upstreamConnectMs)),
  upstream_header_time: (c) => upstreamList(c, 'header', msText(c, c.upstreamHeaderMs)),
};

const HOSTNAME = os.hostname();
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const clockCache = { second: -1, local: '', iso: '' };

/** $time_local and $time_iso8601, in UTC, made once per second. */
function clock(): { local: string; iso: string } {
  const second = Math.floor(Date.now() / 1000);
  if (second !== clockCache.second) {
    const date = new Date(second * 1000);
    const pad = (n: number) => String(n).padStart(2, '0');
    clockCache.second = second;
    clockCache.local = `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
    clockCache.iso = date.toISOString().replace('.000Z', '+00:00');
  }
  return clockCache;
}

/** nginx's times: seconds with millisecond resolution. */
function seconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3);
}

/** A try's time, "-" while unknown (nginx logs "-" for a try that never got that far). */
function msText(c: VariableContext, ms: number | undefined): string {
  if (!c.peerAddress) return '';
  return ms === undefined || ms < 0 ? '-' : seconds(ms);
}

function upstreamList(c: VariableContext, field: keyof UpstreamTrail['lists'], current: string): string {
  const trail = c.trail;
  if (trail === null || trail === undefined) return current;
  const earlier = trail.lists[field];
  if (current === '') return earlier;
  return earlier === '' ? current : `${earlier}${trail.separator}${current}`;
}

const PREFIXED: Array<[string, Getter]> = [
  ['http_', (c, name) => rawHeader(c.req.rawHeaders, name)],
  ['cookie_', (c, name) => cookieOf(c.req.rawHeaders, name)],
  ['arg_', (c, name) => argOf(c.req.url, name)],
];

export const KNOWN_VARIABLES = [...Object.keys(PLAIN), ...PREFIXED.map(([prefix]) => `${prefix}NAME`), '1 ... $9'];

/** $1 ... $9: a capture of the last regex matched (a regex location, an `if`); $0 is the whole match. */
function capture(c: VariableContext, index: string): string {
  let captures = c.captures;
  if (captures === null || captures === undefined) {
    // A regex location's captures, found on first use (the router only tests the regex).
    const regex = c.location?.regex;
    if (regex === null || regex === undefined) return '';
    captures = regex.exec(c.uri) ?? [];
    c.captures = captures;
  }
  return captures[Number(index)] ?? '';
}

const TEMPLATE_ERROR = Symbol.for('tenk.balancer.TemplateError');

export class TemplateError extends Error {
  readonly [TEMPLATE_ERROR] = true;
}

export function isTemplateError(error: unknown): error is TemplateError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[TEMPLATE_ERROR] === true;
}

interface VariablePart {
  get: Getter;
  argument: string;
}

/**
 * A value with nginx variables in it (`$remote_addr`, `${host}`, `$http_x_api_key`),
 * compiled once when the configuration loads; evaluating it is a loop over its parts.
 */
export class Template {
  readonly text: string;
  /** The value when it holds no variables: no work per request. */
  readonly constant: string | null;
  /** Names of the variables used, as written without `$`. */
  readonly variables: readonly string[];
  readonly #parts: ReadonlyArray<string | VariablePart>;

  constructor(text: string) {
    const parts: Array<string | VariablePart> = [];
    const variables: string[] = [];
    const pattern = /\$(?:\{([A-Za-z0-9_]+)\}|([0-9])|([A-Za-z_][A-Za-z0-9_]*))/g;
    let last = 0;
    for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
      if (match.index > last) parts.push(text.slice(last, match.index));
      const name = match[1] ?? match[2] ?? match[3];
      parts.push(resolveVariable(name));
      variables.push(name);
      last = pattern.lastIndex;
    }
    if (last < text.length) parts.push(text.slice(last));
    if (text.includes('$') && variables.length === 0) throw new TemplateError(`"${text}" has a "$" that does not start a variable name`);
    this.text = text;
    this.variables = variables;
    this.#parts = parts;
    this.constant = variables.length === 0 ? text : null;
  }

  evaluate(context: VariableContext): string {
    if (this.constant !== null) return this.constant;
    const parts = this.#parts;
    let out = '';
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      out += typeof part === 'string' ? part : part.get(context, part.argument);
    }
    return out;
  }

  /** As evaluate, with each variable's value passed through `escape` (log_format's escape=). */
  evaluateEscaped(context: VariableContext, escape: (value: string) => string): string {
    const parts = this.#parts;
    let out = '';
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      out += typeof part === 'string' ? part : escape(part.get(context, part.argument));
    }
    return out;
  }
}

function resolveVariable(name: string): VariablePart {
  if (/^[0-9]$/.test(name)) return { get: capture, argument: name };
  if (name === 'connection' || name === 'connection_requests') variableFeatures.connections = true;
  if (name === 'upstream_connect_time' || name === 'upstream_header_time') variableFeatures.upstreamTimes = true;
  const plain = PLAIN[name];
  if (plain) return { get: plain, argument: '' };
  for (const [prefix, get] of PREFIXED) {
    if (name.startsWith(prefix) && name.length > prefix.length) {
      const argument = name.slice(prefix.length);
      // $http_x_api_key reads the X-Api-Key header, as in nginx.
      return { get, argument: prefix === 'http_' ? argument.toLowerCase().replace(/_/g, '-') : argument };
    }
  }
  throw new TemplateError(`unknown variable "$${name}" (known: ${KNOWN_VARIABLES.map((v) => `$${v}`).join(', ')})`);
}

/** A request header by lower-case name from Node's flat rawHeaders, without building req.headers. */
export function rawHeader(rawHeaders: readonly string[], lowerName: string): string {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    if (name.length === lowerName.length && name.toLowerCase() === lowerName) return rawHeaders[i + 1];
  }
  return '';
}

/** The Host header without its port, lower-cased ($host). */
export function hostOf(req: IncomingMessage): string {
  const host = rawHeader(req.rawHeaders, 'host');
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1).toLowerCase();
  const colon = host.indexOf(':');
  return (colon === -1 ? host : host.slice(0, colon)).toLowerCase();
}

function queryOf(url: string | undefined): string {
  if (!url) return '';
  const question = url.indexOf('?');
  return question === -1 ? '' : url.slice(question + 1);
}

function argOf(url: string | undefined, name: string): string {
  const query = queryOf(url);
  if (!query) return '';
  for (const pair of query.split('&')) {
    const equals = pair.indexOf('=');
    const key = equals === -1 ? pair : pair.slice(0, equals);
    if (key === name) return equals === -1 ? '' : pair.slice(equals + 1);
  }
  return '';
}

function cookieOf(rawHeaders: readonly string[], name: string): string {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i].toLowerCase() !== 'cookie') continue;
    for (const pair of rawHeaders[i + 1].split(';')) {
      const equals = pair.indexOf('=');
      if (equals !== -1 && pair.slice(0, equals).trim() === name) return pair.slice(equals + 1).trim();
    }
  }
  return '';
}

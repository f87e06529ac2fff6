import type { IncomingMessage } from 'node:http';

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
}

type Getter = (context: VariableContext, argument: string) => string;

const PLAIN: Record<string, Getter> = {
  remote_addr: (c) => c.clientAddress,
  binary_remote_addr: (c) => c.clientAddress,
  remote_port: (c) => String(c.req.socket.remotePort ?? ''),
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
};

const PREFIXED: Array<[string, Getter]> = [
  ['http_', (c, name) => rawHeader(c.req.rawHeaders, name)],
  ['cookie_', (c, name) => cookieOf(c.req.rawHeaders, name)],
  ['arg_', (c, name) => argOf(c.req.url, name)],
];

export const KNOWN_VARIABLES = [...Object.keys(PLAIN), ...PREFIXED.map(([prefix]) => `${prefix}NAME`)];

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
    const pattern = /\$(?:\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/g;
    let last = 0;
    for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
      if (match.index > last) parts.push(text.slice(last, match.index));
      const name = match[1] ?? match[2];
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
}

function resolveVariable(name: string): VariablePart {
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

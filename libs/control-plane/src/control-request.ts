import type { IncomingHttpHeaders } from 'node:http';
import { CONTROL_TOKEN_VARIABLE, tokenMatches, type ResolvedControlToken } from './control-token';

/** What the checks read of a request: node:http's IncomingMessage (and Express's) fits. */
export interface ControlRequestLike {
  method?: string;
  headers: IncomingHttpHeaders;
  /** The address and port the connection arrived on: the only Host this server answers to. */
  socket: { localAddress?: string; localPort?: number };
}

export interface ControlPolicy {
  /** This run's token; null: the server was given none, and refuses every state change. */
  token: string | null;
  /** Where a caller finds the token, appended to the 401's message. */
  tokenHint?: string;
}

export interface ControlRefusal {
  status: 401 | 403 | 415;
  /** What was wrong and what to do, for the caller. */
  message: string;
  headers: Record<string, string>;
}

export const DEFAULT_TOKEN_HINT =
  'npm start prints it in the map link and writes it to .tenk/control-token; TENK_CONTROL_TOKEN sets it for a server started on its own';

/** The hint for a server that resolved its own token: the file it read, or the default one. */
export function controlTokenHint(resolved: ResolvedControlToken): string {
  return resolved.source === CONTROL_TOKEN_VARIABLE ? DEFAULT_TOKEN_HINT : `it is in ${resolved.source}`;
}

const READ_ONLY_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Anything but GET, HEAD and OPTIONS changes state on a control port. */
export function isStateChanging(method: string | undefined): boolean {
  return !READ_ONLY_METHODS.has((method ?? 'GET').toUpperCase());
}

/**
 * The one check every local control port makes, before its routes run:
 * - any request: the Host must be this server's loopback address and port (a DNS-rebinding
 *   page reaches 127.0.0.1 under its own name, so its requests carry that name): 403;
 * - a state change (POST, PUT, PATCH, DELETE): an Origin, when a browser sends one, must be
 *   this server's own (a page elsewhere, 403); the run's token as `Authorization: Bearer`
 *   (401); and a JSON body (`Content-Type: application/json`), which no page can send
 *   cross-site without a CORS preflight that these servers never grant (415).
 * Returns null when the request may go on.
 */
export function checkControlRequest(req: ControlRequestLike, policy: ControlPolicy): ControlRefusal | null {
  const host = single(req.headers.host);
  const served = servedAddress(req);
  if (host === undefined || host === '') return refuse(403, `the request has no Host header; send Host: ${served}`);
  const target = parseHost(host);
  if (target === null || !isThisServer(target, req.socket)) {
    return refuse(
      403,
      `Host "${host}" is not this server: a control port answers only to its loopback address (${served}), which keeps DNS-rebinding pages out`,
    );
  }
  if (!isStateChanging(req.method)) return null;

  const origin = single(req.headers.origin);
  if (origin !== undefined && origin.toLowerCase() !== `http://${host.toLowerCase()}`) {
    return refuse(
      403,
      `cross-site request refused: Origin "${origin}" is not this server (http://${host}); control calls come from this server's own page or from a program`,
    );
  }

  const hint = policy.tokenHint ?? DEFAULT_TOKEN_HINT;
  if (policy.token === null)
    return refuse(
      401,
      'this server was started without a control token, so it takes no state-changing calls; start it with TENK_CONTROL_TOKEN set',
      bearerChallenge(),
    );
  const authorization = single(req.headers.authorization);
  if (authorization === undefined || authorization.trim() === '') {
    return refuse(
      401,
      `this call changes the running shop and needs the run's control token: send "Authorization: Bearer <token>" (${hint})`,
      bearerChallenge(),
    );
  }
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!bearer) return refuse(401, `the Authorization header must be "Bearer <token>" (${hint})`, bearerChallenge('invalid_request'));
  if (!tokenMatches(policy.token, bearer[1]))
    return refuse(401, `wrong control token; it changes at every npm start (${hint})`, bearerChallenge('invalid_token'));

  const contentType = single(req.headers['content-type']);
  const mediaType = contentType?.split(';')[0].trim().toLowerCase();
  if (mediaType !== 'application/json') {
    return refuse(
      415,
      `a control call takes a JSON body: send Content-Type: application/json (got ${contentType === undefined ? 'no Content-Type' : `"${contentType}"`}), with {} when there is nothing to say`,
    );
  }
  return null;
}

function refuse(status: ControlRefusal['status'], message: string, headers: Record<string, string> = {}): ControlRefusal {
  return { status, message, headers };
}

function bearerChallenge(error?: string): Record<string, string> {
  return { 'www-authenticate': `Bearer realm="tenk control"${error ? `, error="${error}"` : ''}` };
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** `host:port` as a URL would hold it, or null for anything that is not a bare authority. */
function parseHost(value: string): { hostname: string; port: number } | null {
  if (/[/?#@\\\s]/.test(value)) return null;
  try {
    const url = new URL(`http://${value}`);
    return { hostname: url.hostname.toLowerCase(), port: url.port === '' ? 80 : Number(url.port) };
  } catch {
    return null;
  }
}

/**
 * `localhost`, a 127/8 address, [::1], or the literal address the connection arrived on (a
 * listener bound to another address of this machine); and the port it arrived on. A name
 * other than localhost never passes: that is what a rebinding page's requests carry.
 */
function isThisServer(target: { hostname: string; port: number }, socket: ControlRequestLike['socket']): boolean {
  if (socket.localPort !== undefined && target.port !== socket.localPort) return false;
  const { hostname } = target;
  if (hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)) return true;
  const local = socket.localAddress?.replace(/^::ffff:(?=\d+\.)/, '').toLowerCase();
  if (local === undefined || local === '') return false;
  return hostname === (local.includes(':') ? `[${local}]` : local);
}

function servedAddress(req: ControlRequestLike): string {
  const local = req.socket.localAddress?.replace(/^::ffff:(?=\d+\.)/, '') ?? '127.0.0.1';
  const shown = local === '::1' || local.includes(':') ? `[${local}]` : local;
  return req.socket.localPort === undefined ? shown : `${shown}:${req.socket.localPort}`;
}

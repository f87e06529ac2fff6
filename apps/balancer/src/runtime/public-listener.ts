import http, { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { ProxyExchange } from '../http/proxy-exchange';
import { rawReply } from '../http/raw-reply';
import { connectionOlderThan } from '../http/connection-age';
import { findUpstream } from '../http/dynamic-proxy';
import { RequestContext, requestHasBody } from '../http/request-context';
import { resolveStatic, sendFile } from '../http/static-files';
import { TenkResponse } from '../http/tenk-response';
import type { UpgradeTunnel } from '../http/upgrade-tunnel';
import { normalizePath, originForm, resolveSegments } from '../http/uri';
import { hostOf, rawHeader } from '../http/variables';
import type { Logger } from '../observability/logger';
import type { BalancerStats } from '../observability/stats';
import type { ListenerRoute, RuntimeServer } from './generation';
import type { RuntimeLocation } from './runtime-location';
import type { ErrorPageConfig } from '../config/schema';
import { Template } from '../http/variables';

/** What a listener needs from the balancer that owns it. */
export interface ListenerHost {
  readonly stats: BalancerStats;
  readonly logger: Logger;
  /** SIGTERM received: answer what is in flight, close connections after their response. */
  readonly draining: boolean;
  readonly tunnels: Set<UpgradeTunnel>;
  readonly workerConnections: number;
}

const MAX_INTERNAL_REDIRECTS = 10;
const REDIRECT_CODES = new Set([301, 302, 303, 307, 308]);

/**
 * One public listening socket (node:http). Its `route` (the servers on this address) is
 * replaced on reload; each request reads it once, so a reload never changes a request's
 * configuration half-way. The admin API has its own listener and is never routed here.
 */
export class PublicListener {
  readonly key: string;
  readonly server: http.Server;
  route: ListenerRoute;
  readonly #host: ListenerHost;
  readonly #sockets = new Set<Socket>();
  /** The bound port ($server_port): the listen port, or the one the system picked for port 0. */
  #port = 0;

  constructor(route: ListenerRoute, host: ListenerHost) {
    this.key = route.key;
    this.route = route;
    this.#host = host;
    const settings = route.defaultServer.config.settings;
    this.server = http.createServer(
      {
        ServerResponse: TenkResponse as unknown as typeof http.ServerResponse,
        maxHeaderSize: settings.maxHeaderBytes,
        headersTimeout: settings.clientHeaderTimeoutMs,
        keepAliveTimeout: settings.keepaliveTimeoutMs,
        // Whole-request deadlines would cut slow large uploads: client_body_timeout bounds
        // the gaps between body reads instead (see RequestBodyRelay).
        requestTimeout: 0,
        connectionsCheckingInterval: Math.max(100, Math.min(5000, Math.floor(settings.clientHeaderTimeoutMs / 4))),
        noDelay: true,
      },
      (req, res) => this.#onRequest(req, res as unknown as TenkResponse),
    );
    this.server.maxRequestsPerSocket = settings.keepaliveRequests;
    this.server.maxConnections = host.workerConnections;
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.#onUpgrade(req, socket, head));
    this.server.on('connection', (socket: Socket) => this.#onConnection(socket));
    this.server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => this.#onClientError(error, socket));
  }

  /** Applies a reloaded route's connection settings (those Node can change on a live server). */
  update(route: ListenerRoute): void {
    const settings = route.defaultServer.config.settings;
    this.route = route;
    this.server.headersTimeout = settings.clientHeaderTimeoutMs;
    this.server.keepAliveTimeout = settings.keepaliveTimeoutMs;
    this.server.maxRequestsPerSocket = settings.keepaliveRequests;
    this.server.maxConnections = this.#host.workerConnections;
  }

  listen(): Promise<AddressInfo> {
    const { host, port, backlog } = this.route.listen;
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.server.once('error', onError);
      // As nginx, `listen [::]:PORT` is IPv6 only, so it can sit beside `listen PORT`.
      this.server.listen({ host, port, backlog, ipv6Only: host.includes(':') }, () => {
        this.server.off('error', onError);
        const address = this.server.address() as AddressInfo;
        this.#port = address.port;
        resolve(address);
      });
    });
  }

  get address(): AddressInfo | null {
    return this.server.address() as AddressInfo | null;
  }

  /** Stops accepting; idle keep-alive connections close now, busy ones after their response. */
  stopAccepting(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
  }

  /** Closes keep-alive connections that are idle now (called while draining). */
  closeIdle(): void {
    this.server.closeIdleConnections();
  }

  /** The last resort of a drain: every connection, busy or not. */
  destroyAll(): void {
    this.server.closeAllConnections();
    for (const socket of this.#sockets) socket.destroy();
  }

  get openConnections(): number {
    return this.#sockets.size;
  }

  // ---- requests ---------------------------------------------------------------------------

  /** `upgrading`: the request asked for an upgrade (it came through #onUpgrade). */
  #onRequest(req: IncomingMessage, res: TenkResponse, upgrading = false): void {
    const host = this.#host;
    const stats = host.stats;
    stats.requests++;
    stats.active++;
    if (host.draining) res.shouldKeepAlive = false;
    const route = this.route;
    const server = route.single ?? route.serverFor(hostOf(req));
    const port = this.#port;
    const url = req.url ?? '/';
    const target = url.charCodeAt(0) === 47 ? url : originForm(url);
    const question = target === null ? -1 : target.indexOf('?');
    const rawPath = target === null ? '' : question === -1 ? target : target.slice(0, question);
    const uri = target === null ? null : normalizePath(rawPath);
    const query = question === -1 || target === null ? '' : target.slice(question);
    if (target === null || uri === null) {
      stats.badRequests++;
      return this.#local(req, res, port, null).respond(400, '400 Bad Request: malformed request target\n', undefined, null, true);
    }
    if (req.httpVersionMinor === 0 && rawHeader(req.rawHeaders, 'transfer-encoding') !== '') {
      // RFC 9112 6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing (nginx refuses it too).
      stats.badRequests++;
      return this.#local(req, res, port, null).respond(
        400,
        '400 Bad Request: Transfer-Encoding in an HTTP/1.0 request\n',
        undefined,
        null,
        true,
      );
    }
    if (server.serverReturn !== null) {
      const context = this.#local(req, res, port, null);
      context.uri = uri;
      return runReturn(
        context,
        server.serverReturn.code,
        server.serverReturn.text === null ? null : server.serverReturn.text.evaluate(context),
        'text/plain; charset=utf-8',
      );
    }
    const location = server.router.match(uri);
    if (location === null) return this.#local(req, res, port, null).respond(404, '404 Not Found: no location matches this path\n');

    let context: RequestContext;
    if (location.kind === 'proxy') {
      const upstream = location.upstream ?? findUpstream(new RequestContext(req, res, port, stats), location, target, uri);
      if (typeof upstream === 'string') {
        const context = this.#local(req, res, port, location);
        context.uri = uri;
        return context.respond(502, `502 Bad Gateway: proxy_pass names upstream "${upstream}", which is not declared\n`);
      }
      const exchange = new ProxyExchange(req, res, port, stats, location, upstream);
      if (upgrading) exchange.tunnels = host.tunnels;
      context = exchange;
    } else {
      context = new RequestContext(req, res, port, stats);
      context.location = location;
    }
    context.target = target;
    context.uri = uri;
    res.watchClose(context);
    if (connectionOlderThan(req.socket, location.keepaliveTimeMs, Date.now())) res.shouldKeepAlive = false;
    if (location.realIp !== null) location.realIp.apply(context);
    if (location.errorPages !== null) context.errorPage = this.#errorPage;
    if (location.ifs !== null) {
      // nginx's rewrite phase: before limit_req and the content.
      const chosen = location.ifs.choose(context);
      if (chosen !== null) {
        return runReturn(context, chosen.code, chosen.text === null ? null : chosen.text.evaluate(context), location.settings.defaultType);
      }
    }

    const delay = location.limits.length === 0 ? 0 : this.#limit(context, location);
    if (delay < 0) return;
    if (delay > 0) {
      stats.rateDelayed++;
      setTimeout(() => {
        if (!context.closed) this.#run(context, location, server, rawPath, query, 0);
      }, delay);
      return;
    }
    this.#run(context, location, server, rawPath, query, 0);
  }

  /** Applies limit_req; returns the delay in ms, or -1 when the request was rejected (answered). */
  #limit(context: RequestContext, location: RuntimeLocation): number {
    let delay = 0;
    const now = Date.now();
    for (const { zone, rule } of location.limits) {
      const key = zone.keyFor(context);
      if (key === '') continue;
      const verdict = zone.check(key, rule, now, location.limitDryRun);
      if (verdict < 0) {
        this.#host.stats.rateLimited++;
        const seconds = -verdict;
        context.respond(
          location.limitStatus,
          `${location.limitStatus} ${STATUS_CODES[location.limitStatus] ?? 'Too Many Requests'}: over the request rate allowed per client (zone "${zone.name}"); retry in ${seconds} s\n`,
          undefined,
          ['Retry-After', String(seconds)],
        );
        return -1;
      }
      if (verdict > delay) delay = verdict;
    }
    return delay;
  }

  #run(context: RequestContext, location: RuntimeLocation, server: RuntimeServer, rawPath: string, query: string, redirects: number): void {
    switch (location.kind) {
      case 'proxy':
        (context as ProxyExchange).start(
          location.proxyUriTemplate === null
            ? upstreamPath(location, context.target, rawPath, context.uri, query)
            : location.proxyUriTemplate.evaluate(context),
        );
        return;
      case 'return':
        runReturn(
          context,
          location.returnCode,
          location.returnText === null ? null : location.returnText.evaluate(context),
          location.settings.defaultType,
        );
        return;
      case 'static':
        void this.#serveStatic(context, location, server, query, redirects);
    }
  }

  async #serveStatic(
    context: RequestContext,
    location: RuntimeLocation,
    server: RuntimeServer,
    query: string,
    redirects: number,
  ): Promise<void> {
    const method = context.req.method;
    if (method !== 'GET' && method !== 'HEAD') {
      context.respond(405, '405 Method Not Allowed: static files answer GET and HEAD\n', undefined, ['Allow', 'GET, HEAD']);
      return;
    }
    try {
      const outcome = await resolveStatic(context, location);
      if (context.closed) return;
      switch (outcome.kind) {
        case 'file':
          await sendFile(context, location, outcome.file);
          return;
        case 'status':
          context.respond(outcome.code, `${outcome.code} ${STATUS_CODES[outcome.code] ?? ''}\n`);
          return;
        case 'slash':
          context.respond(301, '301 Moved Permanently\n', undefined, ['Location', `${context.uri}/${query}`]);
          return;
        case 'internal':
          return this.#internalRedirect(context, server, outcome.uri, redirects + 1);
      }
    } catch (error) {
      this.#host.logger.error('static file failed', { uri: context.uri, error: (error as Error).message });
      context.respond(500, '500 Internal Server Error\n');
    }
  }

  /**
   * error_page: an answer with a listed status becomes a redirect (a URL), or the request goes
   * on in another location (a URI, or a named `@location`), sent with the original status
   * unless `=CODE` (or `=`: the page's own). Non-GET/HEAD requests become GET for a URI, as nginx.
   */
  readonly #errorPage = (context: RequestContext, status: number, page: ErrorPageConfig): void => {
    const location = context.location as RuntimeLocation;
    const server = location.server as RuntimeServer;
    const target = new Template(page.target).evaluate(context);
    if (/^https?:\/\//.test(target)) {
      const code = typeof page.status === 'number' && REDIRECT_CODES.has(page.status) ? page.status : 302;
      context.respond(code, `${code} ${STATUS_CODES[code] ?? ''}: ${target}\n`, undefined, ['Location', target]);
      return;
    }
    context.res.statusOverride = page.status === 'target' ? 0 : (page.status ?? status);
    if (target.startsWith('@')) {
      const named = server.named.get(target);
      if (named === undefined) {
        context.respond(status, `${status} ${STATUS_CODES[status] ?? ''}\n`);
        return;
      }
      this.#continueIn(context, server, named, context.uri, context.target, '', '', 1);
      return;
    }
    if (context.req.method !== 'GET' && context.req.method !== 'HEAD') context.req.method = 'GET';
    this.#internalRedirect(context, server, target, 1);
  };

  /** try_files' last argument: the request continues as if it had asked for `uri`. */
  #internalRedirect(context: RequestContext, server: RuntimeServer, uri: string, redirects: number): void {
    if (redirects > MAX_INTERNAL_REDIRECTS) {
      context.respond(500, '500 Internal Server Error: try_files redirects loop\n');
      return;
    }
    const question = uri.indexOf('?');
    const rawPath = question === -1 ? uri : uri.slice(0, question);
    const query = question === -1 ? '' : uri.slice(question);
    // The fallback is a URI as written in the configuration, used as $uri (not decoded, as nginx).
    const normalized = resolveSegments(rawPath);
    const location = normalized === null ? null : server.router.match(normalized);
    if (normalized === null || location === null) {
      context.respond(404, '404 Not Found\n');
      return;
    }
    this.#continueIn(context, server, location, normalized, uri, rawPath, query, redirects);
  }

  /** The request goes on in `location` (an internal redirect: try_files, error_page). */
  #continueIn(
    context: RequestContext,
    server: RuntimeServer,
    location: RuntimeLocation,
    normalized: string,
    uri: string,
    rawPath: string,
    query: string,
    redirects: number,
  ): void {
    let next = context;
    if (location.kind === 'proxy') {
      const upstream = location.upstream ?? findUpstream(context, location, uri, normalized);
      if (typeof upstream === 'string') {
        context.respond(502, `502 Bad Gateway: proxy_pass names upstream "${upstream}", which is not declared\n`);
        return;
      }
      next = new ProxyExchange(context.req, context.res, context.serverPort, this.#host.stats, location, upstream);
      context.res.owner = next;
      if (context.peerAddress !== '' || context.trail !== null) {
        // $upstream_addr & co.: the earlier group's tries, then " : ".
        context.endTry(true);
        next.trail = context.trail;
      }
    } else {
      context.location = location;
    }
    next.uri = normalized;
    next.target = uri;
    this.#run(next, location, server, rawPath, query, redirects);
  }

  #local(req: IncomingMessage, res: TenkResponse, port: number, location: RuntimeLocation | null): RequestContext {
    const context = new RequestContext(req, res, port, this.#host.stats);
    context.location = location;
    res.watchClose(context);
    return context;
  }

  // ---- upgrades (WebSocket) -----------------------------------------------------------------

  /**
   * A request with `Connection: upgrade` + `Upgrade:`. Node detaches its HTTP parser from the
   * connection and hands over the socket; tenk answers it as an ordinary request (routing,
   * limit_req, access log, headers) through a response on that socket. Only a 101 from the
   * upstream, in a location that lets upgrades through, turns the connection into a tunnel
   * (ProxyExchange.onUpgrade); after any other answer the socket goes back to the HTTP server,
   * which parses the next request on it as on any connection.
   */
  #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const host = this.#host;
    if (host.draining) return rawReply(socket, 503, 'shutting down');
    if (requestHasBody(req)) {
      // Node skipped the body (an upgraded connection's bytes are not HTTP); read as HTTP,
      // they could hide a second request. nginx-style servers never mix the two either.
      host.stats.badRequests++;
      return rawReply(socket, 400, 'an upgrade request cannot carry a body');
    }
    const client = socket as Socket;
    // Bytes the client sent after the request stay first in line: the next request's, or
    // the tunnel's.
    if (head.length > 0) client.unshift(head);
    const res = new TenkResponse(req);
    res.shouldKeepAlive = wantsKeepAlive(req);
    res.assignSocket(client);
    res.once('finish', () => this.#handBack(res, client));
    this.#onRequest(req, res, true);
  }

  /** An upgrade request answered without a switch: its connection is HTTP again (or closes). */
  #handBack(res: TenkResponse, socket: Socket): void {
    res.detachSocket(socket);
    // What Node's server does after a response (its 'close' is when tenk logs the request).
    const closing = res as TenkResponse & { _closed?: boolean; _last?: boolean };
    if (closing._closed !== true) {
      closing._closed = true;
      process.nextTick(() => res.emit('close'));
    }
    if (closing._last === true || !res.shouldKeepAlive || this.#host.draining || socket.destroyed || !socket.readable) {
      socket.end(() => socket.destroy());
      return;
    }
    // Node's connection handler sets up a fresh parser on the socket (the next request, or
    // bytes already buffered, are parsed as HTTP); #onConnection does not count it twice.
    // An idle connection handed back closes after client_header_timeout (Node's rule for a
    // new connection) rather than keepalive_timeout.
    this.server.emit('connection', socket);
  }

  // ---- connections ----------------------------------------------------------------------------

  #onConnection(socket: Socket): void {
    // A connection handed back after an upgrade request that was not switched (#handBack).
    if (this.#sockets.has(socket)) return;
    const stats = this.#host.stats;
    stats.connections++;
    stats.connectionsTotal++;
    this.#sockets.add(socket);
    socket.once('close', () => {
      stats.connections--;
      this.#sockets.delete(socket);
    });
  }

  /**
   * A request Node's parser refused (llhttp, strict: what nginx refuses too): answered with a
   * status and a reason naming the problem, then the connection closes, so nothing after the
   * bad framing is ever read as a request and nothing of it reaches an upstream.
   */
  #onClientError(error: NodeJS.ErrnoException & { reason?: string }, socket: Duplex): void {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    if (error.code === 'HPE_CLOSED_CONNECTION') {
      // Bytes after a request answered with Connection: close: ignored, the answer already went.
      socket.end();
      return;
    }
    this.#host.stats.badRequests++;
    const [status, reason] = clientErrorAnswer(error.code ?? '', error.reason ?? '');
    rawReply(socket, status, reason);
  }
}

/**
 * The request target sent upstream: unchanged, or (proxy_pass with a URI part) the normalized
 * path with the location prefix replaced, as nginx does. The raw path is reused when it is
 * already normal; otherwise $uri is escaped again.
 */
export function upstreamPath(location: RuntimeLocation, target: string, rawPath: string, uri: string, query: string): string {
  const replacement = location.proxyUri;
  if (replacement === null) return target;
  const rest = uri.slice(location.prefix.length);
  return replacement + (rawPath === uri ? rest : escapePath(rest)) + query;
}

/**
 * The answer to a request the parser refused. Request smuggling needs two parties to disagree
 * on where a request ends: every ambiguous framing is refused. nginx answers oversized headers
 * with 400 "Request Header Or Cookie Too Large"; tenk uses the specific 431 (RFC 6585).
 */
export function clientErrorAnswer(code: string, reason: string): [number, string] {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return [431, 'the request line and headers are larger than large_client_header_buffers allows'];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [408, 'request headers not received within client_header_timeout'];
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
    case 'HPE_INVALID_TRANSFER_ENCODING':
      if (/can't be present with/u.test(reason)) return [400, 'Content-Length and Transfer-Encoding together: the body has two lengths'];
      if (reason === 'Duplicate Content-Length') return [400, 'more than one Content-Length'];
      if (code === 'HPE_INVALID_TRANSFER_ENCODING') return [400, 'invalid Transfer-Encoding: only "chunked", once and last, is accepted'];
      return [400, 'invalid Content-Length: it must be one non-negative number'];
    case 'HPE_INVALID_CHUNK_SIZE':
    case 'HPE_STRICT':
    case 'HPE_INVALID_EOF_STATE':
      return [400, 'malformed chunked body'];
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return [413, 'chunk extensions too large'];
    case 'HPE_INVALID_HEADER_TOKEN':
      return [400, 'invalid character in a header name or value'];
    case 'HPE_INVALID_METHOD':
      return [400, 'invalid method'];
    case 'HPE_INVALID_URL':
      return [400, 'invalid request target'];
    case 'HPE_INVALID_VERSION':
      return [400, 'invalid HTTP version (or a line not ended by CRLF)'];
    default:
      return [400, reason === '' ? 'malformed request' : `malformed request (${reason})`];
  }
}

/** Whether the client's connection may stay open after the response (Node's rule, for requests it did not parse to the end). */
function wantsKeepAlive(req: IncomingMessage): boolean {
  const connection = (req.headers.connection ?? '').toLowerCase();
  if (req.httpVersionMajor === 1 && req.httpVersionMinor === 0) return /(^|[\s,])keep-alive($|[\s,])/u.test(connection);
  return !/(^|[\s,])close($|[\s,])/u.test(connection);
}

/** Escapes what may not appear literally in a path (RFC 3986 pchar and "/"). */
function escapePath(path: string): string {
  return path.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@/]/gu, (char) => encodeURIComponent(char));
}

function runReturn(context: RequestContext, code: number, text: string | null, contentType: string): void {
  if (code === 444) {
    // nginx's "close the connection without a response".
    context.status = 444;
    context.req.socket.destroy();
    return;
  }
  if (REDIRECT_CODES.has(code) && text !== null) {
    context.respond(code, `${code} ${STATUS_CODES[code] ?? ''}: ${text}\n`, 'text/plain; charset=utf-8', ['Location', text]);
    return;
  }
  if (text === null) {
    context.respond(code, code >= 400 ? `${code} ${STATUS_CODES[code] ?? ''}\n` : '', 'text/plain; charset=utf-8');
    return;
  }
  context.respond(code, text, contentType);
}

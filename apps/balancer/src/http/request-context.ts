import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Attempt } from '../algorithms/attempt';
import type { AccessRecord } from '../observability/access-log';
import type { BalancerStats } from '../observability/stats';
import type { RuntimeLocation } from '../runtime/runtime-location';
import { isUsableRequestId, newRequestId } from './request-id';
import type { ResponseOwner, TenkResponse } from './tenk-response';
import { rawHeader, type VariableContext } from './variables';

/**
 * One request being answered: what templates can read ($uri, $request_id, ...), what the
 * access log records, and helpers for answers tenk writes itself (errors, `return`). The
 * proxy's ProxyExchange extends it (and, through Attempt, carries the balancing state), so
 * a proxied request costs one object of tenk's own.
 */
export class RequestContext extends Attempt implements VariableContext, AccessRecord, ResponseOwner {
  readonly req: IncomingMessage;
  readonly res: TenkResponse;
  readonly stats: BalancerStats;
  readonly startedAt: number;
  readonly serverPort: number;
  readonly scheme = 'http';
  /** The request target in origin form (`/path?query`). */
  target: string;
  /** The normalized path ($uri). */
  uri = '';
  location: RuntimeLocation | null = null;
  proxyHost = '';
  #requestId: string | null = null;

  status = 0;
  bytesSent = 0;
  durationMs = 0;
  upstreamName = '';
  peerAddress = '';
  upstreamStatus = 0;
  upstreamMs = -1;
  /** The client's response has closed (sent, or the client went away). */
  closed = false;

  constructor(req: IncomingMessage, res: TenkResponse, serverPort: number, stats: BalancerStats) {
    super();
    this.req = req;
    this.res = res;
    this.stats = stats;
    this.startedAt = performance.now();
    this.serverPort = serverPort;
    this.target = req.url ?? '/';
    this.clientAddress = req.socket.remoteAddress ?? '';
    this.variables = this;
  }

  /** $request_id: the client's X-Request-Id when it looks like one, else 32 random hex characters. */
  get requestId(): string {
    if (this.#requestId === null) {
      const incoming = rawHeader(this.req.rawHeaders, 'x-request-id');
      this.#requestId = incoming !== '' && isUsableRequestId(incoming) ? incoming : newRequestId();
    }
    return this.#requestId;
  }

  get method(): string {
    return this.req.method ?? 'GET';
  }

  get httpVersion(): string {
    return this.req.httpVersion;
  }

  get userAgent(): string {
    return rawHeader(this.req.rawHeaders, 'user-agent');
  }

  get referer(): string {
    return rawHeader(this.req.rawHeaders, 'referer');
  }

  /** The response closed: count it and write the access log line. */
  onResponseClose(): void {
    this.closed = true;
    const stats = this.stats;
    stats.active--;
    if (!this.res.writableFinished) {
      stats.clientAborts++;
      // nginx's 499: the client closed the connection before the response was sent.
      if (this.status === 0 || !this.res.headersSent) this.status = 499;
    }
    stats.responses[(this.status / 100) | 0]++;
    const log = this.location === null ? null : this.location.accessLog;
    if (log !== null) {
      this.durationMs = performance.now() - this.startedAt;
      log.write(this);
    }
  }

  /**
   * Answers with a short text body written by tenk (errors, limits, `return`).
   * `close` ends the connection afterwards (used when the request body was not read).
   */
  respond(status: number, body: string, contentType = 'text/plain; charset=utf-8', extra: readonly string[] | null = null, close = false): void {
    const res = this.res;
    if (res.headersSent || this.closed) {
      if (!res.writableEnded) res.destroy();
      return;
    }
    const length = Buffer.byteLength(body);
    const headers: string[] = ['Content-Type', contentType, 'Content-Length', String(length), 'X-Request-Id', this.requestId];
    if (extra !== null) headers.push(...extra);
    if (this.location !== null) this.location.responseHeaders.appendTo(headers, status, this);
    // A body we did not read to the end would be left on the connection: close it instead.
    if (close || (!this.req.complete && requestHasBody(this.req))) res.shouldKeepAlive = false;
    this.status = status;
    this.bytesSent = this.req.method === 'HEAD' ? 0 : length;
    res.writeHead(status, headers);
    res.end(this.req.method === 'HEAD' ? undefined : body);
  }
}

/** Whether the request announced a body (Content-Length > 0 or chunked). */
export function requestHasBody(req: IncomingMessage): boolean {
  const length = rawHeader(req.rawHeaders, 'content-length');
  return (length !== '' && length !== '0') || rawHeader(req.rawHeaders, 'transfer-encoding') !== '';
}

import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { BalancerStats } from '../observability/stats';
import type { RuntimeLocation } from '../runtime/runtime-location';
import { RequestRecord } from './request-record';
import type { ResponseOwner, TenkResponse } from './tenk-response';
import { rawHeader } from './variables';
import type { ErrorPageConfig } from '../config/schema';

/** The listener's error_page handling: answers `context` with `page` instead of `status`. */
export type ErrorPageHandler = (context: RequestContext, status: number, page: ErrorPageConfig) => void;

/**
 * One request answered through node:http: its RequestRecord (variables, access log fields,
 * balancing state), its response, and helpers for answers tenk writes itself (errors,
 * `return`). The proxy's ProxyExchange extends it, so a proxied request costs one object of
 * tenk's own.
 */
export class RequestContext extends RequestRecord implements ResponseOwner {
  readonly res: TenkResponse;
  location: RuntimeLocation | null = null;
  /** The client's response has closed (sent, or the client went away). */
  closed = false;
  /** error_page: where an answer with a listed status goes instead (set by the listener; null: none, or already used). */
  errorPage: ErrorPageHandler | null = null;

  constructor(req: IncomingMessage, res: TenkResponse, serverPort: number, stats: BalancerStats) {
    super(req, serverPort, stats);
    this.res = res;
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
    if (this.res.statusOverride !== 0 && this.status !== 499) this.status = this.res.statusOverride;
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
  respond(
    status: number,
    body: string | Buffer,
    contentType = 'text/plain; charset=utf-8',
    extra: readonly string[] | null = null,
    close = false,
  ): void {
    const res = this.res;
    if (res.headersSent || this.closed) {
      if (!res.writableEnded) res.destroy();
      return;
    }
    const errorPage = this.errorPage;
    if (errorPage !== null && this.location !== null && this.location.errorPages !== null) {
      const page = this.location.errorPages.get(status);
      if (page !== undefined) {
        // nginx's recursive_error_pages off: an error while serving the page is answered as it is.
        this.errorPage = null;
        if (close) res.shouldKeepAlive = false;
        errorPage(this, status, page);
        return;
      }
    }
    const length = Buffer.byteLength(body);
    const headers: string[] = ['Content-Type', contentType, 'Content-Length', String(length), 'X-Request-Id', this.requestId];
    if (extra !== null) headers.push(...extra);
    if (this.location !== null) this.location.responseHeaders.appendTo(headers, status, this);
    // A body we did not read to the end would be left on the connection: close it instead.
    if (close || (!this.req.complete && requestHasBody(this.req))) res.shouldKeepAlive = false;
    this.status = status;
    this.bytesSent = this.req.method === 'HEAD' ? 0 : length;
    res.writeHead(res.statusOverride !== 0 ? res.statusOverride : status, headers);
    res.end(this.req.method === 'HEAD' ? undefined : body);
  }
}

/** Whether the request announced a body (Content-Length > 0 or chunked). */
export function requestHasBody(req: IncomingMessage): boolean {
  const length = rawHeader(req.rawHeaders, 'content-length');
  return (length !== '' && length !== '0') || rawHeader(req.rawHeaders, 'transfer-encoding') !== '';
}

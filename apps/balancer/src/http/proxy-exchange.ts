import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import type { Client, Dispatcher } from 'undici';
import {
  formatTraceparent,
  keptBecause,
  newSpanId,
  newTraceId,
  parseTraceparent,
  sampleRequest,
  tracingEnabled,
  type Span,
} from '@tenk/observability/tracing';
import { ACCESS_LOG_REFUSAL_SAMPLE } from '../observability/access-log';
import { endProxySpan, isFailedAnswer, keepProxySpan, startProxySpan, traceresponseOf, withTraceparent } from '../observability/proxy-span';
import type { BalancerStats } from '../observability/stats';
import type { RuntimeLocation } from '../runtime/runtime-location';
import type { Peer } from '../upstream/peer';
import type { QueuedRequest } from '../upstream/admission-queue';
import { h1Eligible, type H1Connection, type H1Handler, type H1Request } from '../upstream/h1-connection';
import type { PeerPool } from '../upstream/peer-pool';
import { BUSY_HEADERS, type BusyReason } from '../upstream/refusal-answers';
import { isBusyAnswer, isReadTimeout } from '../upstream/passive-health';
import type { Upstream } from '../upstream/upstream';
import { isFailureStatus, isNonIdempotent, NextUpstream, statusFlag } from './next-upstream';
import { RequestContext } from './request-context';
import { rawHeader, variableFeatures } from './variables';
import { isBodyTooLarge, RequestBodyRelay } from './request-body';
import type { TenkResponse } from './tenk-response';
import { UpgradeTunnel, type TunnelOwner } from './upgrade-tunnel';

const CLIENT_CLOSED = Object.freeze(new Error('the client closed the connection'));

type DispatchOptions = Dispatcher.DispatchOptions;

/**
 * One proxied request: picks a peer, sends the request with undici's dispatch() (this object
 * is the handler: no closure or promise per request), streams the response back as it
 * arrives, and reports the outcome to the upstream (passive health). When an attempt fails
 * before anything was sent to the client, proxy_next_upstream decides whether another peer
 * gets it: never for POST/PATCH/LOCK once they reached a peer (unless `non_idempotent`), never
 * for a request body already streamed. A response that will be retried is read to its end
 * and dropped (the connection stays reusable), and the next dispatch starts only after
 * undici is done with the previous one, so callbacks never cross attempts.
 *
 * An upgrade request (one Node handed to the listener's 'upgrade' event) in a location that
 * lets upgrades through is sent with undici's `upgrade` option; only a 101 answer turns the
 * client connection into a tunnel (onUpgrade). Any other answer is an ordinary response.
 */
export class ProxyExchange extends RequestContext implements Dispatcher.DispatchHandler, H1Handler, TunnelOwner, QueuedRequest {
  readonly upstream: Upstream;
  peer: Peer | null = null;
  /** When it joined its upstream's queue (performance.now()), 0 if it never waited. */
  queuedAt = 0;
  /** Set by the listener for a request that asked for an upgrade: where its tunnel registers. */
  tunnels: Set<UpgradeTunnel> | null = null;
  #peerStartedAt = 0;
  #options: DispatchOptions;
  #body: RequestBodyRelay | null = null;
  #abort: ((error: Error) => void) | null = null;
  /** The connection the current attempt runs on: undici's, or tenk's own (#h1). */
  #client: Client | null = null;
  #h1: H1Connection | null = null;
  /** Set when the request can go on an H1Connection (no upgrade, no streamed body, plain headers). */
  #h1Request: H1Request | null = null;
  /** An attempt is in flight (dispatched, not yet completed or errored). */
  #inFlight = false;
  /** The current attempt reached the peer (undici started writing it). */
  #sent = false;
  /** Reading a response that will be dropped for a retry. */
  #discarding = false;
  /** proxy_intercept_errors: the upstream status error_page answers for, once the dropped body ends (0: none). */
  #intercepted = 0;
  /** The current response counts as a failure for passive health (a failing status). */
  #failedStatus = false;
  #resume: (() => void) | null = null;
  /** The upstream response's Content-Length (-1: none); the last chunk then ends the response. */
  upstreamContentLength = -1;
  #bodyReceived = 0;
  #ended = false;
  #drainArmed = false;
  #onDrain: (() => void) | null = null;
  /** This request's span when tracing is on and its trace sampled (observability/proxy-span.ts), else null. */
  #span: Span | null = null;
  /**
   * A request its trace's sampling left out has no span, only these ids (trace, its own span,
   * the client's span or ''), kept to build its span after the fact if it fails ('': none).
   */
  #traceId = '';
  #spanId = '';
  #parentSpanId = '';
  /** The `traceresponse` header's value for the client (its span's id), or null. */
  #traceresponse: string | null = null;

  constructor(
    req: IncomingMessage,
    res: TenkResponse,
    serverPort: number,
    stats: BalancerStats,
    location: RuntimeLocation,
    upstream: Upstream,
  ) {
    super(req, res, serverPort, stats);
    this.location = location;
    this.upstream = upstream;
    this.upstreamName = upstream.name;
    this.proxyHost = upstream.name;
    this.#options = {
      path: '/',
      method: (req.method ?? 'GET') as Dispatcher.HttpMethod,
      headers: null,
      body: null,
      headersTimeout: location.readTimeoutMs,
      bodyTimeout: location.readTimeoutMs,
      reset: !upstream.reuseConnections,
      upgrade: null,
    };
  }

  /**
   * The trace of this request: its client's `traceparent` continued (or a new trace), sampled
   * or not as the client decided (or the ratio, for a new one). Sampled: a span. Left out: no
   * span, only the ids, and the `traceparent` the peer gets says "not sampled", so the api
   * makes the same choice. Returns the upstream headers with this request's `traceparent`.
   */
  #startTrace(path: string, headers: string[]): string[] {
    const parent = parseTraceparent(rawHeader(this.req.rawHeaders, 'traceparent') || undefined);
    if (sampleRequest(parent)) {
      const span = startProxySpan(this.req, parent, path, this.upstream.name, this.upstream.algorithm.name, this.requestId);
      this.#span = span;
      this.#traceresponse = traceresponseOf(span);
      return this.#traceresponse === null ? headers : withTraceparent(headers, this.#traceresponse);
    }
    this.#traceId = parent === undefined ? newTraceId() : parent.traceId;
    this.#parentSpanId = parent === undefined ? '' : parent.spanId;
    this.#spanId = newSpanId();
    const traceparent = formatTraceparent(this.#traceId, this.#spanId, false);
    this.#traceresponse = traceparent;
    return withTraceparent(headers, traceparent);
  }

  /** Sends the request to the first peer. `path` is the upstream request target. */
  start(path: string): void {
    // Admission control first: others already wait and this one could not join them (the
    // queue full, or too slow to drain), so it is refused before anything is built for a peer.
    const refusal = this.upstream.queue?.refuseNewcomer() ?? null;
    if (refusal !== null) {
      this.#refuseBusy(refusal);
      return;
    }
    const location = this.location as RuntimeLocation;
    const req = this.req;
    const options = this.#options;
    options.path = path;
    options.headers = location.requestHeaders.build(req.rawHeaders, this);
    if (tracingEnabled()) options.headers = this.#startTrace(path, options.headers);
    if (this.tunnels !== null) {
      // Offered to the upstream only where the location allows it (header-plans.ts).
      const upgrade = location.requestHeaders.upgrade;
      const value = upgrade === null ? '' : upgrade.evaluate(this);
      if (value !== '') options.upgrade = value;
    }
    const length = bodyLength(req);
    // The common request goes on tenk's own connection (upstream/h1-connection.ts); a body of
    // known small size is read first, then it may too (bodyRead).
    const plain =
      options.upgrade === null && (length === 0 || (length > 0 && length <= location.bodyBufferSize)) && h1Eligible(options.headers);
    if (plain) {
      this.#h1Request = {
        method: options.method,
        path,
        headers: options.headers,
        body: null,
        readTimeoutMs: location.readTimeoutMs,
        reset: options.reset === true,
      };
    }
    if (length !== 0) {
      if (length > 0 && location.maxBodySize > 0 && length > location.maxBodySize) {
        this.#tooLarge();
        return;
      }
      if (length > 0 && length <= location.bodyBufferSize) {
        // A small body is read first (as nginx buffers bodies), so a retry can send it again.
        readSmallBody(this, length, location.clientBodyTimeoutMs);
        return;
      }
      this.#body = new RequestBodyRelay(req, location.maxBodySize, location.clientBodyTimeoutMs);
      options.body = this.#body;
    }
    this.#dispatchNext();
  }

  /** The small body arrived (readSmallBody): send the request. */
  bodyRead(body: Buffer): void {
    if (this.closed) return;
    this.#options.body = body;
    if (this.#h1Request !== null) this.#h1Request.body = body;
    this.#dispatchNext();
  }

  #dispatchNext(): void {
    const now = Date.now();
    const peer = this.upstream.pick(this, now);
    if (peer === null) {
      // Every usable peer at max_conns: wait in the queue, or 503 (admission control).
      if (this.upstream.isAtCapacity(now)) this.#atCapacity();
      else this.#noPeer();
      return;
    }
    if (this.tries > 1) {
      this.endTry();
      this.upstream.retries++;
      this.stats.retries++;
      if (this.#body !== null) {
        // The previous relay never read a byte (#canRetry checked); undici destroyed it.
        this.#body = new RequestBodyRelay(
          this.req,
          (this.location as RuntimeLocation).maxBodySize,
          (this.location as RuntimeLocation).clientBodyTimeoutMs,
        );
        this.#options.body = this.#body;
      }
    }
    this.peer = peer;
    this.peerAddress = peer.address;
    const span = this.#span;
    if (span !== null) {
      if (this.tries > 1) span.addEvent('retry', { 'tenk.balancer.peer': peer.address, 'tenk.balancer.attempt': this.tries });
      span.setAttribute('tenk.balancer.peer', peer.address);
      span.setAttribute('tenk.balancer.attempt', this.tries);
      if (this.queuedAt !== 0) span.setAttribute('tenk.balancer.queue_wait_ms', Math.round(performance.now() - this.queuedAt));
    }
    this.#peerStartedAt = performance.now();
    this.#sent = false;
    this.#discarding = false;
    this.#failedStatus = false;
    this.upstreamContentLength = -1;
    this.#bodyReceived = 0;
    this.#inFlight = true;
    const pool = peer.pool as PeerPool;
    if (this.#h1Request !== null) {
      const connection = pool.acquireH1();
      this.#h1 = connection;
      connection.dispatch(this.#h1Request, this);
      return;
    }
    const client = pool.acquire();
    this.#client = client;
    client.dispatch(this.#options, this);
  }

  // ---- undici's handler interface --------------------------------------------------------

  onConnect(abort: (error?: Error) => void): void {
    this.#abort = abort;
    this.#sent = true;
    if (variableFeatures.upstreamTimes) this.upstreamConnectMs = performance.now() - this.#peerStartedAt;
    if (this.closed) abort(CLIENT_CLOSED);
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[] | string[], resume: () => void, statusText: string): boolean {
    // 1xx interim responses (103 Early Hints...) are not passed on, as nginx does.
    if (statusCode < 200) return true;
    this.upstreamStatus = statusCode;
    if (variableFeatures.upstreamTimes) this.upstreamHeaderMs = performance.now() - this.#peerStartedAt;
    if (this.closed) return true;
    const location = this.location as RuntimeLocation;
    const flags = location.nextUpstream;
    const flag = statusFlag(statusCode);
    this.#failedStatus = flag !== 0 && isFailureStatus(flags, statusCode);
    if (statusCode === 503 && isBusyAnswer(statusCode, rawHeaders)) {
      // Busy, not failing (upstream/passive-health.ts): another peer may take it, no count.
      this.#failedStatus = false;
      (this.peer as Peer).busyAnswers++;
    }
    if (flag !== 0 && (flags & flag) !== 0 && this.#canRetry(flag)) {
      this.#discarding = true;
      return true;
    }
    if (statusCode >= 300 && location.interceptErrors && this.errorPage !== null && location.errorPages?.has(statusCode) === true) {
      // proxy_intercept_errors: the body is read and dropped, then error_page answers (onComplete).
      this.#intercepted = statusCode;
      this.#discarding = true;
      return true;
    }
    const res = this.res;
    const headers = location.responseHeaders.fromUpstream(rawHeaders, statusCode, this, this);
    if (this.#traceresponse !== null) headers.push('traceresponse', this.#traceresponse);
    res.sendDate = false;
    this.status = statusCode;
    this.#resume = resume;
    if (res.statusOverride !== 0) res.writeHead(res.statusOverride, headers);
    else if (statusText !== '') res.writeHead(statusCode, statusText, headers);
    else res.writeHead(statusCode, headers);
    return true;
  }

  /**
   * The upstream answered 101 to the upgrade it was offered: the client gets the 101 and the
   * connection becomes a tunnel. The peer counts it as a request in flight until it closes.
   */
  onUpgrade(statusCode: number, rawHeaders: Buffer[] | string[] | null, socket: Duplex): void {
    this.#inFlight = false;
    this.#abort = null;
    this.#releaseClient();
    const peer = this.peer as Peer;
    this.upstreamStatus = statusCode;
    this.upstreamMs = performance.now() - this.#peerStartedAt;
    const client = this.req.socket;
    if (this.closed || this.tunnels === null || client.destroyed) {
      socket.destroy();
      this.upstream.release(peer, false, Date.now());
      return;
    }
    const location = this.location as RuntimeLocation;
    const stats = this.stats;
    this.status = 101;
    // The request is answered (counted as one now); the tunnel is counted apart.
    this.closed = true;
    stats.active--;
    stats.responses[1]++;
    peer.responses[1]++;
    stats.websocketsActive++;
    stats.websocketsTotal++;
    this.#endSpan();
    // The response object never writes: the tunnel owns the socket from here on.
    this.res.owner = null;
    this.res.detachSocket(client);
    new UpgradeTunnel(
      this,
      client as Socket,
      socket,
      location.responseHeaders.switchingHead(rawHeaders, this),
      location.readTimeoutMs,
      this.tunnels,
    );
  }

  onTunnelClose(bytesSent: number): void {
    this.bytesSent = bytesSent;
    this.stats.websocketsActive--;
    const peer = this.peer as Peer;
    peer.bytesSent += bytesSent;
    this.upstream.release(peer, false, Date.now());
    const log = (this.location as RuntimeLocation).accessLog;
    if (log !== null) {
      this.durationMs = performance.now() - this.startedAt;
      log.write(this);
    }
  }

  onData(chunk: Buffer): boolean {
    if (this.#discarding) return true;
    this.bytesSent += chunk.length;
    this.#bodyReceived += chunk.length;
    if (this.#bodyReceived === this.upstreamContentLength) {
      // The whole body (often one chunk): headers and body leave in one write, no extra tick.
      this.#ended = true;
      this.res.end(chunk);
      return true;
    }
    if (this.res.write(chunk)) return true;
    this.#waitForDrain();
    return false;
  }

  onComplete(): void {
    this.#inFlight = false;
    this.#abort = null;
    this.#releaseClient();
    const peer = this.peer as Peer;
    const elapsed = performance.now() - this.#peerStartedAt;
    this.upstreamMs = elapsed;
    peer.latency.record(elapsed);
    peer.responses[(this.upstreamStatus / 100) | 0]++;
    peer.bytesSent += this.bytesSent;
    this.upstream.release(peer, this.#failedStatus, Date.now());
    if (this.#discarding) {
      this.#discarding = false;
      if (this.closed) return;
      if (this.#intercepted !== 0) {
        this.respond(this.#intercepted, '');
        return;
      }
      this.#dispatchNext();
      return;
    }
    if (!this.#ended) this.res.end();
  }

  onError(error: Error): void {
    this.#inFlight = false;
    this.#abort = null;
    this.#releaseClient();
    const peer = this.peer;
    if (peer === null) {
      // dispatch() refused the request before any peer took it (should not happen).
      this.respond(502, `502 Bad Gateway: ${error.message}\n`);
      return;
    }
    this.upstreamMs = performance.now() - this.#peerStartedAt;
    const now = Date.now();
    if (this.closed || error === CLIENT_CLOSED) {
      // The client went away: not the peer's fault.
      this.upstream.release(peer, false, now);
      return;
    }
    if (isBodyTooLarge(error)) {
      this.upstream.release(peer, false, now);
      this.#tooLarge();
      return;
    }
    if (this.#body !== null && this.#body.clientFailed) {
      this.upstream.release(peer, false, now);
      return;
    }
    const flag = classify(error);
    // $upstream_status of a try without an answer, as nginx: 504 for a timeout, else 502.
    if (this.upstreamStatus === 0) this.upstreamStatus = flag === NextUpstream.timeout ? 504 : 502;
    // A read timeout is slowness, not a dead peer: counted only where the upstream asks for it.
    const slow = flag === NextUpstream.timeout && isReadTimeout(error);
    if (slow) peer.readTimeouts++;
    this.upstream.release(peer, !slow || this.upstream.config.failOnReadTimeout, now);
    if (flag === NextUpstream.timeout) this.stats.upstreamTimeouts++;
    else this.stats.upstreamErrors++;
    if (this.res.headersSent) {
      // Part of the response is out: cut the connection so the client sees it is incomplete.
      this.res.destroy(error);
      return;
    }
    if (this.#canRetry(flag)) {
      this.#dispatchNext();
      return;
    }
    if (flag === NextUpstream.timeout) {
      this.respond(
        504,
        `504 Gateway Timeout: upstream "${this.upstream.name}" did not answer in time (tried ${this.tries} peer${this.tries === 1 ? '' : 's'})\n`,
      );
    } else {
      this.respond(
        502,
        `502 Bad Gateway: upstream "${this.upstream.name}" failed (${describeError(error)}; tried ${this.tries} peer${this.tries === 1 ? '' : 's'})\n`,
      );
    }
  }

  /** The balancer's own answers (502, 504, busy) carry the request's `traceresponse` too. */
  override respond(
    status: number,
    body: string | Buffer,
    contentType?: string,
    extra: readonly string[] | null = null,
    close = false,
  ): void {
    const trace = this.#traceresponse;
    super.respond(status, body, contentType, trace === null ? extra : [...(extra ?? []), 'traceresponse', trace], close);
  }

  /** The client's response closed: stop the upstream request if it is still going. */
  override onResponseClose(): void {
    super.onResponseClose();
    this.#endSpan();
    if (this.#inFlight && this.#abort !== null) this.#abort(CLIENT_CLOSED);
  }

  #endSpan(): void {
    const span = this.#span;
    if (span !== null) {
      this.#span = null;
      endProxySpan(span, this.status, this.upstreamStatus);
      return;
    }
    const spanId = this.#spanId;
    if (spanId === '') return;
    this.#spanId = '';
    const why = keptBecause(isFailedAnswer(this.status), performance.now() - this.startedAt);
    if (why === undefined) return;
    keepProxySpan(
      {
        method: this.req.method ?? 'GET',
        path: this.#options.path,
        upstream: this.upstream.name,
        algorithm: this.upstream.algorithm.name,
        requestId: this.requestId,
        traceId: this.#traceId,
        spanId,
        parentSpanId: this.#parentSpanId,
        startedAt: this.startedAt,
        peer: this.peerAddress,
        attempt: this.tries,
        status: this.status,
        upstreamStatus: this.upstreamStatus,
      },
      why,
    );
  }

  #releaseClient(): void {
    const connection = this.#h1;
    if (connection !== null) {
      this.#h1 = null;
      (this.peer as Peer).pool?.releaseH1(connection);
      return;
    }
    const client = this.#client;
    if (client === null) return;
    this.#client = null;
    (this.peer as Peer).pool?.release(client);
  }

  // ---- decisions ------------------------------------------------------------------------------

  /** proxy_next_upstream: may this failure go to another peer? */
  #canRetry(flag: number): boolean {
    const location = this.location as RuntimeLocation;
    if ((location.nextUpstream & flag) === 0 || this.closed || this.res.headersSent) return false;
    if (this.#sent && !location.nextUpstreamRetriesNonIdempotent && isNonIdempotent(this.req.method ?? 'GET')) return false;
    if (this.#body !== null && this.#body.started) return false;
    if (location.nextUpstreamTries !== 0 && this.tries >= location.nextUpstreamTries) return false;
    if (this.tries >= this.upstream.peers.length) return false;
    if (location.nextUpstreamTimeoutMs !== 0 && performance.now() - this.startedAt >= location.nextUpstreamTimeoutMs) return false;
    return true;
  }

  // ---- admission control (QueuedRequest: the upstream's queue calls these) --------------------

  /** A peer may be free: pick again. */
  admit(): void {
    if (!this.closed) this.#dispatchNext();
  }

  /** Waited the queue's timeout. */
  expire(): void {
    this.#refuseBusy('timed_out');
  }

  #atCapacity(): void {
    const upstream = this.upstream;
    const queue = upstream.queue;
    if (queue === null) {
      upstream.refusedAtCapacity++;
      this.#refuseBusy('at_capacity');
      return;
    }
    if (queue.offer(this, performance.now())) return;
    this.#refuseBusy(queue.length === queue.capacity ? 'full' : 'too_long');
  }

  /**
   * 503 with Retry-After: the shop is at capacity; come back in a second (nginx answers 502).
   * The body is the upstream's, ready made (upstream/refusal-answers.ts).
   */
  #refuseBusy(reason: BusyReason): void {
    this.stats.atCapacity++;
    this.logSampleRate = ACCESS_LOG_REFUSAL_SAMPLE;
    this.respond(503, this.upstream.refusals.for(reason), undefined, BUSY_HEADERS);
  }

  #noPeer(): void {
    if (this.tries === 0) {
      this.upstream.noLivePeers++;
      this.stats.noLivePeers++;
      this.respond(
        502,
        `502 Bad Gateway: no live peer in upstream "${this.upstream.name}" (every server is down, failing its health check or at max_conns)\n`,
      );
    } else {
      this.respond(
        502,
        `502 Bad Gateway: upstream "${this.upstream.name}" failed on ${this.tries} peer${this.tries === 1 ? '' : 's'} and no other is available\n`,
      );
    }
  }

  #tooLarge(): void {
    this.stats.bodyTooLarge++;
    const limit = (this.location as RuntimeLocation).maxBodySize;
    // The body was not read: answer and close, rather than read it all to keep the connection.
    this.respond(
      413,
      `413 Request Entity Too Large: the body is larger than client_max_body_size (${limit} bytes)\n`,
      undefined,
      null,
      true,
    );
  }

  #waitForDrain(): void {
    if (this.#drainArmed) return;
    this.#drainArmed = true;
    this.#onDrain ??= () => {
      this.#drainArmed = false;
      const socket = this.res.socket;
      if (socket !== null && !socket.destroyed) socket.setTimeout(0);
      if (this.#resume !== null) this.#resume();
    };
    this.res.once('drain', this.#onDrain);
    // send_timeout: a client that stops reading is disconnected.
    const socket = this.res.socket;
    if (socket !== null) socket.setTimeout((this.location as RuntimeLocation).sendTimeoutMs);
  }
}

/** Reads a body of known, small length into one Buffer, then hands it to the exchange. */
function readSmallBody(exchange: ProxyExchange, length: number, timeoutMs: number): void {
  const req = exchange.req;
  const body = Buffer.allocUnsafe(length);
  let received = 0;
  const socket = req.socket;
  if (timeoutMs > 0) socket.setTimeout(timeoutMs);
  req.on('data', (chunk: Buffer) => {
    chunk.copy(body, received);
    received += chunk.length;
  });
  req.once('end', () => {
    if (timeoutMs > 0 && !socket.destroyed) socket.setTimeout(0);
    exchange.bodyRead(received === length ? body : body.subarray(0, received));
  });
}

/** -1: unknown (chunked); 0: no body; else the Content-Length. */
function bodyLength(req: IncomingMessage): number {
  const raw = req.rawHeaders;
  let length = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (name.length === 14 && name.toLowerCase() === 'content-length') length = Number(raw[i + 1]);
    else if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') return -1;
  }
  return length;
}

function classify(error: Error): number {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT')
    return NextUpstream.timeout;
  if (code.startsWith('HPE_') || code === 'UND_ERR_INVALID_ARG' || error.name === 'HTTPParserError') return NextUpstream.invalid_header;
  return NextUpstream.error;
}

function describeError(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'connection closed by the peer';
  if (code?.startsWith('HPE_') || error.name === 'HTTPParserError') return 'invalid response';
  return code ?? error.message;
}

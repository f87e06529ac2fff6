import { createRequire } from 'node:module';
import net, { type Socket } from 'node:net';

/**
 * One keep-alive HTTP/1.1 connection to a peer, for the proxy's common request: no upgrade, a
 * body that is absent or already read (small bodies are buffered, as nginx does). It uses
 * Node's own response parser (llhttp compiled into Node, as node:http's client uses it) fed
 * from the socket's 'data' events, and writes the request head as one string: no per-request
 * Request object, header validation pass, WebAssembly calls per header, stream 'readable'
 * round trips or drain events (undici's costs on the profile). Streaming bodies and upgrades
 * still go through undici (PeerPool.acquire).
 *
 * It speaks undici's handler interface (onConnect/onHeaders/onData/onComplete/onError), with the
 * error codes undici uses, so ProxyExchange, passive health and proxy_next_upstream treat both
 * alike. What undici guarantees and tenk relies on is kept:
 * - a reused connection writes its next request one event-loop turn later (setImmediate), so
 *   bytes or a close the peer sent while it was idle are read first (GHSA-35p6-xmwp-9g52), and
 *   any response bytes that arrive when no request was written (unsolicited) close it;
 * - bare-LF heads are accepted as nginx accepts them (llhttp's optional-CR leniency), nothing else
 *   is relaxed;
 * - a peer's `Keep-Alive: timeout=N` shortens the idle time (N s less 2 s, undici's threshold);
 *   `Connection: close`, HTTP/1.0, keepalive_requests and `reset` close after the response.
 */

interface Parser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(data: Buffer): number | Error;
  finish(): number | Error | undefined;
  close(): void;
  [key: number]: unknown;
}
interface ParserConstructor {
  new (): Parser;
  RESPONSE: number;
  kOnMessageBegin: number;
  kOnHeaders: number;
  kOnHeadersComplete: number;
  kOnBody: number;
  kOnMessageComplete: number;
  kLenientOptionalCRBeforeLF: number;
}

// node:http's own parser binding (public module `_http_common`, no types).
const { HTTPParser } = createRequire(__filename)('_http_common') as { HTTPParser: ParserConstructor };

/** What a dispatched request is told (undici's DispatchHandler, the part tenk uses). */
export interface H1Handler {
  onConnect(abort: (error?: Error) => void): void;
  onHeaders(statusCode: number, rawHeaders: string[], resume: () => void, statusText: string): boolean;
  onData(chunk: Buffer): boolean;
  onComplete(trailers: null): void;
  onError(error: Error): void;
}

export interface H1Request {
  method: string;
  path: string;
  /** Flat [name, value, ...]; must have passed h1Eligible(). */
  headers: readonly string[];
  body: Buffer | null;
  /** proxy_read_timeout: the longest gap while waiting for the answer (ms, 0: none). */
  readTimeoutMs: number;
  /** Close the connection after this request. */
  reset: boolean;
}

export interface H1Options {
  host: string;
  port: number;
  connectTimeoutMs: number;
  keepAliveTimeoutMs: number;
  keepAliveMaxTimeoutMs: number;
  maxRequests: number;
}

/** undici's idle threshold: a peer's Keep-Alive timeout less this is how long tenk keeps it. */
const KEEP_ALIVE_THRESHOLD_MS = 2000;
/** Methods undici sends `content-length: 0` for when they have no body. */
const EXPECTS_PAYLOAD = new Set(['POST', 'PUT', 'PATCH', 'QUERY', 'PROPFIND', 'PROPPATCH']);
// What may not appear in a header value on the wire.
const BAD_VALUE = /[\r\n\0]/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function codedError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/**
 * Whether undici's fast-path replacement can send these headers as they are: no header that
 * changes framing or the connection (those go through undici, which handles each), and
 * nothing that would break the head (names are tokens, values have no CR, LF or NUL).
 */
export function h1Eligible(headers: readonly string[]): boolean {
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    const length = name.length;
    if (length === 10 || length === 7 || length === 17 || length === 6) {
      const key = name.toLowerCase();
      if (key === 'connection' || key === 'keep-alive' || key === 'upgrade' || key === 'transfer-encoding' || key === 'expect')
        return false;
    }
    if (!TOKEN.test(name) || BAD_VALUE.test(headers[i + 1])) return false;
  }
  return true;
}

export class H1Connection {
  readonly #socket: Socket;
  readonly #parser: Parser;
  readonly #options: H1Options;
  #handler: H1Handler | null = null;
  #request: H1Request | null = null;
  #connected = false;
  /** The current request's bytes are on the wire (a response may begin). */
  #written = false;
  #headersDone = false;
  #interim = false;
  #keepAlive = true;
  #idleMs: number;
  /** The socket's inactivity timeout now (ms, 0: none): set only when it changes, not per request. */
  #timerMs = 0;
  /** Inactivity so far while a request waits, in whole timer periods (reset by every read). */
  #waited = 0;
  #served = 0;
  #collected: string[] = [];
  #destroyed = false;
  /** Called once when the connection closes (the pool forgets it). */
  onClose: ((connection: H1Connection) => void) | null = null;
  readonly #resume = (): void => {
    this.#socket.resume();
  };
  readonly #abort = (error?: Error): void => {
    this.#fail(error ?? codedError('request aborted', 'UND_ERR_ABORTED'));
  };
  readonly #writeNow = (): void => this.#write();

  constructor(options: H1Options) {
    this.#options = options;
    this.#idleMs = options.keepAliveTimeoutMs;
    const parser = new HTTPParser();
    parser.initialize(HTTPParser.RESPONSE, {}, 0, HTTPParser.kLenientOptionalCRBeforeLF);
    parser[HTTPParser.kOnMessageBegin] = () => this.#onMessageBegin();
    parser[HTTPParser.kOnHeaders] = (headers: string[]) => {
      for (let i = 0; i < headers.length; i++) this.#collected.push(headers[i]);
    };
    parser[HTTPParser.kOnHeadersComplete] = (
      _major: number,
      minor: number,
      headers: string[] | undefined,
      _method: unknown,
      _url: unknown,
      statusCode: number,
      statusText: string,
      upgrade: boolean,
      keepAlive: boolean,
    ) => this.#onHeadersComplete(headers, statusCode, statusText, upgrade, keepAlive);
    parser[HTTPParser.kOnBody] = (chunk: Buffer) => this.#onBody(chunk);
    parser[HTTPParser.kOnMessageComplete] = () => this.#onMessageComplete();
    this.#parser = parser;
    const socket = net.connect({ host: options.host, port: options.port, noDelay: true });
    this.#socket = socket;
    if (options.connectTimeoutMs > 0) this.#arm(options.connectTimeoutMs);
    socket.on('connect', () => {
      this.#connected = true;
      this.#arm(this.#idleMs);
      if (this.#request !== null) this.#write();
    });
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('end', () => this.#onEnd());
    socket.on('timeout', () => this.#onTimeout());
    socket.on('error', (error: Error) => this.#fail(error));
    socket.on('close', () => this.#onSocketClose());
  }

  get destroyed(): boolean {
    return this.#destroyed;
  }

  /** A request is on it. */
  get busy(): boolean {
    return this.#handler !== null;
  }

  /** Sends one request; the handler hears the outcome. */
  dispatch(request: H1Request, handler: H1Handler): void {
    if (this.#destroyed) {
      handler.onError(codedError('the connection is closed', 'UND_ERR_SOCKET'));
      return;
    }
    this.#handler = handler;
    this.#request = request;
    this.#written = false;
    this.#headersDone = false;
    this.#interim = false;
    if (!this.#connected) return;
    // A reused connection: what the peer sent while it was idle is read first.
    if (this.#served > 0) setImmediate(this.#writeNow);
    else this.#write();
  }

  /** Closes the connection (idle, or giving up on it). */
  close(): void {
    this.#destroy();
  }

  /** Closes it once the request in flight (if any) has its answer. */
  end(): Promise<void> {
    if (this.#destroyed || this.#handler === null) {
      this.#destroy();
      return Promise.resolve();
    }
    this.#keepAlive = false;
    return new Promise((resolve) => this.#socket.once('close', () => resolve()));
  }

  #write(): void {
    const request = this.#request;
    const handler = this.#handler;
    if (request === null || handler === null || this.#destroyed) return;
    this.#served++;
    const closing = request.reset || (this.#options.maxRequests > 0 && this.#served >= this.#options.maxRequests);
    let head = `${request.method} ${request.path} HTTP/1.1\r\n`;
    const headers = request.headers;
    let host = false;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i];
      if (name.length === 14 && name.toLowerCase() === 'content-length') continue;
      if (name.length === 4 && name.toLowerCase() === 'host') host = true;
      head += `${name}: ${headers[i + 1]}\r\n`;
    }
    if (!host)
      head += `host: ${this.#options.host.includes(':') ? `[${this.#options.host}]` : this.#options.host}:${this.#options.port}\r\n`;
    head += closing ? 'connection: close\r\n' : 'connection: keep-alive\r\n';
    const body = request.body;
    if (body !== null) head += `content-length: ${body.length}\r\n\r\n`;
    else head += EXPECTS_PAYLOAD.has(request.method) ? 'content-length: 0\r\n\r\n' : '\r\n';
    if (closing) this.#keepAlive = false;
    this.#written = true;
    handler.onConnect(this.#abort);
    if (this.#handler !== handler) return;
    const socket = this.#socket;
    // proxy_read_timeout: the idle timer (keepalive_timeout, usually shorter) keeps running and
    // #onTimeout counts its periods; only a read timeout shorter than it needs its own timer.
    this.#waited = 0;
    const read = request.readTimeoutMs;
    if (read > 0 && (this.#timerMs === 0 || read < this.#timerMs)) this.#arm(read);
    if (body === null || body.length === 0) {
      socket.write(head, 'latin1');
      return;
    }
    socket.cork();
    socket.write(head, 'latin1');
    socket.write(body);
    socket.uncork();
  }

  #onData(chunk: Buffer): void {
    if (this.#destroyed) return;
    this.#waited = 0;
    if (this.#handler === null || !this.#written) {
      // Bytes nobody asked for (a reply to no request): the connection cannot be trusted.
      this.#unsolicited();
      return;
    }
    const result = this.#parser.execute(chunk);
    // Not `instanceof Error`: the parser's errors may come from another realm (jest's sandbox).
    if (typeof result !== 'number') this.#fail(result);
  }

  #onMessageBegin(): void {
    // A second response in the bytes that carried the first, or one before the request left.
    if (this.#handler === null || !this.#written) this.#unsolicited();
  }

  /** Response bytes when no request is waiting for them: never reused, the waiting request (if any) tries again. */
  #unsolicited(): void {
    if (this.#handler !== null) this.#fail(codedError('unsolicited response bytes on an idle connection', 'UND_ERR_SOCKET'));
    else this.#destroy();
  }

  #onHeadersComplete(headers: string[] | undefined, statusCode: number, statusText: string, upgrade: boolean, keepAlive: boolean): number {
    const handler = this.#handler;
    if (handler === null || this.#destroyed) return 1;
    let list = headers;
    if (list === undefined) {
      list = this.#collected;
      this.#collected = [];
    }
    if (upgrade) {
      // A switch nobody asked for: undici's "bad upgrade".
      this.#fail(codedError('bad upgrade', 'UND_ERR_SOCKET'));
      return 1;
    }
    if (statusCode < 200) {
      this.#interim = true;
      handler.onHeaders(statusCode, list, this.#resume, statusText);
      return 1;
    }
    this.#headersDone = true;
    if (!keepAlive) this.#keepAlive = false;
    else this.#readKeepAlive(list);
    if (!handler.onHeaders(statusCode, list, this.#resume, statusText)) this.#socket.pause();
    return (this.#request as H1Request).method === 'HEAD' ? 1 : 0;
  }

  /** `Keep-Alive: timeout=N` from the peer: keep the connection idle for less than that. */
  #readKeepAlive(headers: readonly string[]): void {
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i];
      if (name.length !== 10 || name.toLowerCase() !== 'keep-alive') continue;
      const match = /timeout=(\d+)/i.exec(headers[i + 1]);
      if (match === null) return;
      const ms = Math.min(Number(match[1]) * 1000 - KEEP_ALIVE_THRESHOLD_MS, this.#options.keepAliveMaxTimeoutMs);
      if (ms <= 0) this.#keepAlive = false;
      else this.#idleMs = Math.min(this.#options.keepAliveTimeoutMs, ms);
      return;
    }
  }

  #onBody(chunk: Buffer): void {
    const handler = this.#handler;
    if (handler !== null && !this.#destroyed && !handler.onData(chunk)) this.#socket.pause();
  }

  #onMessageComplete(): void {
    if (this.#interim) {
      this.#interim = false;
      return;
    }
    const handler = this.#handler;
    if (handler === null || this.#destroyed) return;
    this.#handler = null;
    this.#request = null;
    this.#written = false;
    if (this.#keepAlive) this.#arm(this.#idleMs);
    else this.#destroy();
    handler.onComplete(null);
  }

  #onEnd(): void {
    // A response that ends with the connection (no length) is complete now.
    if (this.#handler !== null && this.#headersDone) {
      // Anything else cut short is "other side closed", as undici says (not an invalid answer).
      this.#parser.finish();
    }
    if (this.#handler !== null) this.#fail(codedError('other side closed', 'UND_ERR_SOCKET'));
    this.#destroy();
  }

  #onTimeout(): void {
    if (!this.#connected) {
      this.#fail(codedError('connect timeout', 'UND_ERR_CONNECT_TIMEOUT'));
      return;
    }
    if (this.#handler === null) {
      // keepalive_timeout: idle long enough.
      this.#destroy();
      return;
    }
    // A request waits: one more period without a byte (none while the client is slow to take
    // the answer and reading is paused: that is send_timeout's to judge, not the peer's fault).
    // Node does not re-arm a fired timeout.
    if (!this.#socket.isPaused()) this.#waited += this.#timerMs;
    const read = (this.#request as H1Request).readTimeoutMs;
    if (read === 0 || this.#waited < read) {
      const period = read === 0 ? this.#timerMs : Math.min(this.#timerMs, read - this.#waited);
      this.#timerMs = period;
      this.#socket.setTimeout(period);
      return;
    }
    this.#fail(
      this.#headersDone
        ? codedError('body timeout: the peer stopped sending', 'UND_ERR_BODY_TIMEOUT')
        : codedError('headers timeout: the peer did not answer in time', 'UND_ERR_HEADERS_TIMEOUT'),
    );
  }

  /** Sets the socket's inactivity timeout, if it is not that already. */
  #arm(ms: number): void {
    if (ms === this.#timerMs) return;
    this.#timerMs = ms;
    this.#socket.setTimeout(ms);
  }

  #onSocketClose(): void {
    if (this.#handler !== null) this.#fail(codedError('other side closed', 'UND_ERR_SOCKET'));
    this.#destroy();
    // Freed here, never from inside one of its own callbacks.
    this.#parser.close();
  }

  /** The request in flight (if any) fails with `error`; the connection is not reused. */
  #fail(error: Error): void {
    const handler = this.#handler;
    this.#handler = null;
    this.#request = null;
    this.#destroy();
    if (handler !== null) handler.onError(error);
  }

  #destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#keepAlive = false;
    this.#socket.destroy();
    const onClose = this.onClose;
    this.onClose = null;
    if (onClose !== null) onClose(this);
  }
}

import type { Dispatcher } from 'undici';
import { parseTraceresponse } from './slowest-requests';
import type { EndpointStats, RunStats } from './stats';

/** The request a behaviour asks for next. One per user, refilled for every request. */
export class RequestPlan {
  endpoint: EndpointStats | undefined = undefined;
  method: 'GET' | 'POST' = 'GET';
  path = '/';
  body: Buffer | string | null = null;
  contentType: string | null = null;
  idempotencyKey: string | null = null;
  /** Keep the response body: the behaviour reads it (an id from JSON, a state). */
  readBody = false;
  /**
   * A 4xx status that is an answer, not a failure, for this request (409 for an order of a
   * product that just sold out): counted in its status, not as an error. 0: none.
   */
  acceptedStatus = 0;

  reset(): void {
    this.endpoint = undefined;
    this.method = 'GET';
    this.path = '/';
    this.body = null;
    this.contentType = null;
    this.idempotencyKey = null;
    this.readBody = false;
    this.acceptedStatus = 0;
  }
}

/** What came back. One per user, refilled for every response. */
export class ResponseView {
  /** The HTTP status; 0 when no response came (see `error`). */
  status = 0;
  /** A network error code (`ECONNREFUSED`, `UND_ERR_HEADERS_TIMEOUT`) when there was no response. */
  error: string | null = null;
  /** The body as text, when the plan asked for it (and for failures, to show why). */
  body: string | null = null;
  /** Retry-After, in ms, when the response had one. */
  retryAfterMs: number | null = null;
  latencyMs = 0;
  /** The endpoint is optional and answered that its route does not exist. */
  notDeployed = false;
  /** The balancer's `traceresponse` header (parsed only for one of the slowest requests). */
  traceresponse: string | null = null;

  /** A 2xx or 3xx answer. */
  get ok(): boolean {
    return this.status >= 200 && this.status < 400;
  }

  reset(): void {
    this.status = 0;
    this.error = null;
    this.body = null;
    this.retryAfterMs = null;
    this.latencyMs = 0;
    this.notDeployed = false;
    this.traceresponse = null;
  }
}

/** A scenario's per-user logic: what to ask next, and what to make of the answer. */
export interface Behaviour {
  /** Fills `request` with the next request (endpoint, method, path, body). */
  plan(request: RequestPlan): void;
  /** Reads the response to the last plan; returns the think time in ms before the next one. */
  after(response: ResponseView): number;
}

/** What a user needs from the run that drives it. */
export interface VirtualUserHost {
  readonly stats: RunStats;
  dispatcherFor(userId: number): Dispatcher;
  /** The user's response is in: schedule its next request `thinkMs` from now. */
  finished(user: VirtualUser, thinkMs: number): void;
}

/** Status codes as strings, made once: recording a response allocates no string. */
const STATUS_TEXT: string[] = Array.from({ length: 600 }, (_, code) => String(code));
const SAMPLE_LENGTH = 300;

/**
 * One virtual user: a browser-like client with a cookie jar and one request at a time, driven
 * by its behaviour. It is its own undici dispatch handler (the callback interface the undici
 * core calls without wrapping), so a request allocates no closure, promise or timer: the
 * dispatch options, header list and response view are this object's, reused each time.
 */
export class VirtualUser implements Dispatcher.DispatchHandler {
  readonly id: number;
  readonly request = new RequestPlan();
  readonly response = new ResponseView();
  /** True once the ramp-up has brought this user in. */
  active = false;
  readonly #host: VirtualUserHost;
  readonly #behaviour: Behaviour;
  readonly #headers: string[] = [];
  readonly #options: { method: 'GET' | 'POST'; path: string; headers: string[]; body: Buffer | string | null };
  #cookies: Map<string, string> | undefined = undefined;
  #cookieHeader: string | null = null;
  #startedAt = 0;
  #bytes = 0;
  #keepBody = false;
  #chunks: Buffer[] = [];

  constructor(id: number, host: VirtualUserHost, behaviour: Behaviour) {
    this.id = id;
    this.#host = host;
    this.#behaviour = behaviour;
    this.#options = { method: 'GET', path: '/', headers: this.#headers, body: null };
  }

  /** Plans and sends the next request. */
  wake(): void {
    const request = this.request;
    request.reset();
    this.#behaviour.plan(request);
    if (request.endpoint === undefined)
      throw new Error(`a behaviour planned a request without an endpoint (${request.method} ${request.path})`);
    const headers = this.#headers;
    headers.length = 0;
    headers.push('accept', 'application/json');
    if (this.#cookieHeader !== null) headers.push('cookie', this.#cookieHeader);
    if (request.contentType !== null) headers.push('content-type', request.contentType);
    if (request.idempotencyKey !== null) headers.push('idempotency-key', request.idempotencyKey);
    const options = this.#options;
    options.method = request.method;
    options.path = request.path;
    options.body = request.body;
    this.response.reset();
    this.#bytes = 0;
    this.#keepBody = false;
    this.#chunks.length = 0;
    this.#startedAt = performance.now();
    this.#host.dispatcherFor(this.id).dispatch(options, this);
  }

  // undici's dispatch handler callbacks.

  onConnect(): void {
    // Nothing to do: the request is on its way.
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    this.response.status = statusCode;
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const name = rawHeaders[i];
      // Cheap tests on length and one byte first: most headers are neither of these.
      if (name.length === 10 && name[3] === 0x2d && name.toString('latin1').toLowerCase() === 'set-cookie')
        this.#setCookie(rawHeaders[i + 1].toString('latin1'));
      else if (name.length === 11 && name[5] === 0x2d && name.toString('latin1').toLowerCase() === 'retry-after')
        this.response.retryAfterMs = retryAfterMs(rawHeaders[i + 1].toString('latin1'));
      else if (name.length === 13 && (name[0] | 0x20) === 0x74 && name.toString('latin1').toLowerCase() === 'traceresponse')
        this.response.traceresponse = rawHeaders[i + 1].toString('latin1');
    }
    const endpoint = this.request.endpoint as EndpointStats;
    this.#keepBody =
      this.request.readBody ||
      (statusCode >= 400 && (endpoint.optional || !endpoint.samples.has(STATUS_TEXT[statusCode] ?? String(statusCode))));
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.#bytes += chunk.length;
    if (this.#keepBody) this.#chunks.push(chunk);
    return true;
  }

  onComplete(): void {
    if (this.#keepBody)
      this.response.body = this.#chunks.length === 1 ? this.#chunks[0].toString('utf8') : Buffer.concat(this.#chunks).toString('utf8');
    this.#finish();
  }

  onError(error: Error): void {
    const response = this.response;
    response.error = (error as { code?: string }).code ?? error.name;
    response.status = 0;
    response.body = error.message;
    this.#finish();
  }

  #finish(): void {
    const response = this.response;
    const endpoint = this.request.endpoint as EndpointStats;
    const stats: RunStats = this.#host.stats;
    response.latencyMs = performance.now() - this.#startedAt;
    const micros = response.latencyMs * 1_000;
    if (response.status === 0) {
      const code = response.error ?? 'error';
      stats.record(endpoint, micros, code, true, this.#bytes);
      if (!endpoint.samples.has(code)) endpoint.samples.set(code, (response.body ?? code).slice(0, SAMPLE_LENGTH));
    } else if (endpoint.optional && response.status === 404 && isMissingRoute(response.body, this.request.method)) {
      response.notDeployed = true;
      stats.recordNotDeployed(endpoint);
    } else {
      const status = response.status;
      const outcome = STATUS_TEXT[status] ?? String(status);
      const failed = status >= 400 && status !== this.request.acceptedStatus;
      stats.record(endpoint, micros, outcome, failed, this.#bytes);
      if (failed && !endpoint.samples.has(outcome)) endpoint.samples.set(outcome, (response.body ?? '').slice(0, SAMPLE_LENGTH));
    }
    if (stats.slowest.wants(response.latencyMs) && !stats.frozen) this.#offerSlow(stats, endpoint);
    const think = this.#behaviour.after(response);
    this.#chunks.length = 0;
    this.#host.finished(this, think);
  }

  /** One of the slowest requests so far: kept with the trace the balancer named for it. */
  #offerSlow(stats: RunStats, endpoint: EndpointStats): void {
    const response = this.response;
    const trace = response.traceresponse === null ? undefined : parseTraceresponse(response.traceresponse);
    stats.slowest.offer({
      endpoint: endpoint.name,
      outcome: response.status === 0 ? (response.error ?? 'error') : String(response.status),
      latencyMs: Math.round(response.latencyMs * 10) / 10,
      atSeconds: Math.round((performance.now() - stats.startedAt) / 100) / 10,
      traceId: trace?.traceId ?? null,
      sampled: trace?.sampled ?? false,
    });
  }

  #setCookie(header: string): void {
    const end = header.indexOf(';');
    const pair = end === -1 ? header : header.slice(0, end);
    const equals = pair.indexOf('=');
    if (equals <= 0) return;
    const name = pair.slice(0, equals).trim();
    const value = pair.slice(equals + 1).trim();
    const attributes = end === -1 ? '' : header.slice(end).toLowerCase();
    const cookies = (this.#cookies ??= new Map());
    // A cleared cookie comes back empty, with Max-Age=0 or an Expires in the past.
    if (value === '' || /;\s*max-age=0/.test(attributes) || /;\s*expires=thu, 01 jan 1970/.test(attributes)) cookies.delete(name);
    else cookies.set(name, value);
    this.#cookieHeader = cookies.size === 0 ? null : [...cookies].map(([key, cookie]) => `${key}=${cookie}`).join('; ');
  }
}

/** Nest and Express answer a route they do not have with "Cannot POST /orders". */
function isMissingRoute(body: string | null, method: string): boolean {
  return body !== null && body.includes(`Cannot ${method} `);
}

/** Retry-After as seconds or an HTTP date, in ms (never negative). */
export function retryAfterMs(value: string): number | null {
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1_000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

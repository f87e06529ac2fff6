import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Attempt } from '../algorithms/attempt';
import type { AccessRecord } from '../observability/access-log';
import type { BalancerStats } from '../observability/stats';
import { isUsableRequestId, newRequestId } from './request-id';
import { UpstreamTrail } from './upstream-trail';
import { countConnectionRequest, rawHeader, variableFeatures, type VariableContext } from './variables';

/**
 * What tenk knows about one request, whichever way it is answered: what templates can read
 * ($uri, $request_id, ...) and what the access log records. RequestContext (answered through
 * node:http, and the proxy's ProxyExchange, which also logs upgraded tunnels) extends it, and
 * through Attempt it carries the balancing state, so a request costs one object of tenk's own.
 */
export class RequestRecord extends Attempt implements VariableContext, AccessRecord {
  readonly req: IncomingMessage;
  readonly stats: BalancerStats;
  readonly startedAt: number;
  readonly serverPort: number;
  readonly scheme = 'http';
  /** The request target in origin form (`/path?query`). */
  target: string;
  /** The normalized path ($uri). */
  uri = '';
  proxyHost = '';
  #requestId: string | null = null;

  status = 0;
  bytesSent = 0;
  durationMs = 0;
  upstreamName = '';
  peerAddress = '';
  upstreamStatus = 0;
  upstreamMs = -1;
  /** One in how many answers like this one the access log writes (observability/access-log.ts). */
  logSampleRate = 1;
  /** Connect and header times of the current try (ms, -1: not measured; see variableFeatures). */
  upstreamConnectMs = -1;
  upstreamHeaderMs = -1;
  /** Earlier tries and upstream groups, for $upstream_addr & co. (null: this is the first try). */
  trail: UpstreamTrail | null = null;
  /** $1 ... $9: captures of the last regex matched (regex location, `if`). */
  captures: readonly (string | undefined)[] | null = null;

  constructor(req: IncomingMessage, serverPort: number, stats: BalancerStats) {
    super();
    this.req = req;
    this.stats = stats;
    this.startedAt = performance.now();
    this.serverPort = serverPort;
    this.target = req.url ?? '/';
    this.clientAddress = req.socket.remoteAddress ?? '';
    this.variables = this;
    if (variableFeatures.connections) countConnectionRequest(req.socket);
  }

  /**
   * The current try is over and another follows: it moves to the trail ($upstream_addr's
   * earlier values). `newGroup`: the next try is in another upstream (error_page), " : ".
   */
  endTry(newGroup = false): void {
    if (this.peerAddress !== '') {
      const trail = (this.trail ??= new UpstreamTrail());
      trail.push(this.peerAddress, this.upstreamStatus, this.upstreamMs, this.upstreamConnectMs, this.upstreamHeaderMs);
      if (newGroup) trail.separator = ' : ';
    }
    this.peerAddress = '';
    this.upstreamStatus = 0;
    this.upstreamMs = -1;
    this.upstreamConnectMs = -1;
    this.upstreamHeaderMs = -1;
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
}

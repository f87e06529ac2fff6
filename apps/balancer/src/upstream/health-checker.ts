import { Agent, request } from 'undici';
import type { HealthCheckConfig } from '../config/schema';
import { formatHostPort } from '../config/values';
import type { Logger } from '../observability/logger';
import type { Peer } from './peer';
import type { Upstream } from './upstream';

/**
 * Active health checks, as NGINX Plus's `health_check`: every `interval` (plus up to
 * `jitter`), GET `uri` from each peer; a 2xx or 3xx answer within `timeout` passes. `fails`
 * consecutive failures take a peer out of rotation; `passes` consecutive passes bring it
 * back. Checks use their own connections, so a saturated pool cannot fail them. One timer
 * per upstream; checks of all its peers run in parallel.
 */
export class HealthChecker {
  readonly upstream: Upstream;
  readonly config: HealthCheckConfig;
  readonly #logger: Logger;
  readonly #agent: Agent;
  #timer: NodeJS.Timeout | null = null;
  #running = false;
  #stopped = false;

  constructor(upstream: Upstream, config: HealthCheckConfig, logger: Logger) {
    this.upstream = upstream;
    this.config = config;
    this.#logger = logger;
    this.#agent = new Agent({ keepAliveTimeout: Math.max(1000, config.intervalMs * 2), connections: 2 });
  }

  start(): void {
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#agent.close().catch(() => undefined);
  }

  #schedule(delay: number): void {
    if (this.#stopped) return;
    const jitter = this.config.jitterMs > 0 ? Math.random() * this.config.jitterMs : 0;
    this.#timer = setTimeout(() => void this.#round(), delay + jitter);
    this.#timer.unref();
  }

  /** One round: every peer checked, in parallel; the next is scheduled when it ends. */
  async #round(): Promise<void> {
    if (this.#running || this.#stopped) return;
    this.#running = true;
    try {
      await Promise.all(this.upstream.peers.map((peer) => this.#check(peer)));
    } finally {
      this.#running = false;
      this.#schedule(this.config.intervalMs);
    }
  }

  async #check(peer: Peer): Promise<void> {
    if (peer.down) return;
    const address = formatHostPort({ host: peer.host, port: this.config.port || peer.port });
    let status = 0;
    let problem = '';
    try {
      const response = await request(`http://${address}${this.config.uri}`, {
        method: 'GET',
        dispatcher: this.#agent,
        headers: { 'user-agent': 'tenk-balancer health check', host: this.upstream.name },
        headersTimeout: this.config.timeoutMs,
        bodyTimeout: this.config.timeoutMs,
        signal: AbortSignal.timeout(this.config.timeoutMs),
      });
      status = response.statusCode;
      await response.body.dump();
      if (status < 200 || status >= 400) problem = `status ${status}`;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      problem =
        code === 'ECONNREFUSED'
          ? 'connection refused'
          : error instanceof Error && error.name === 'TimeoutError'
            ? `no answer within ${this.config.timeoutMs} ms`
            : (code ?? String(error));
    }
    if (this.#stopped) return;
    this.#record(peer, status, problem);
    this.upstream.shared?.checked(this.upstream, peer);
  }

  #record(peer: Peer, status: number, problem: string): void {
    peer.lastCheckAt = Date.now();
    peer.lastCheckStatus = status;
    peer.lastCheckError = problem;
    if (problem === '') {
      peer.checkFails = 0;
      peer.checkPasses++;
      if (!peer.healthy && peer.checkPasses >= this.config.passes) {
        peer.healthy = true;
        // Back in rotation with a clean slate for passive health too.
        peer.fails = 0;
        this.#logger.info('peer passed health checks: back in rotation', {
          upstream: this.upstream.name,
          peer: peer.id,
          passes: peer.checkPasses,
        });
      }
    } else {
      peer.checkPasses = 0;
      peer.checkFails++;
      if (peer.healthy && peer.checkFails >= this.config.fails) {
        peer.healthy = false;
        this.#logger.warn('peer failed health checks: out of rotation', {
          upstream: this.upstream.name,
          peer: peer.id,
          fails: peer.checkFails,
          problem,
          uri: this.config.uri,
        });
      }
    }
  }
}

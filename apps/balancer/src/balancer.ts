import type { ControlPolicy } from '@tenk/control-plane';
import { AdminServer } from './admin/admin-server';
import { LocalAdmin, type AdminHost } from './admin/local-admin';
import { loadConfig, type LoadOptions } from './config/load-config';
import type { BalancerConfig, ListenConfig } from './config/schema';
import { formatHostPort } from './config/values';
import type { UpgradeTunnel } from './http/upgrade-tunnel';
import { LogSink } from './observability/log-sink';
import { Logger } from './observability/logger';
import { BalancerStats } from './observability/stats';
import { Generation } from './runtime/generation';
import { PublicListener, type ListenerHost } from './runtime/public-listener';
import type { SharedPeerBook } from './upstream/shared-book';

export interface BalancerOptions {
  /** The file reloads re-read (SIGHUP, POST /reload); null when started from a config object only. */
  configFile?: string | null;
  loadOptions?: LoadOptions;
  logger?: Logger;
  /** The run's control token for the admin API's state changes; none: the admin is read-only. */
  control?: ControlPolicy;
  /**
   * Set in a worker of `worker_processes N`: its index (0..N-1), and where zoned upstreams
   * share peer state. A worker opens no admin listener (the primary does, and asks the workers).
   */
  worker?: { index: number; book: SharedPeerBook };
}

/**
 * The running balancer: public listeners, the admin listener and the current Generation
 * (everything built from the configuration). `reload` builds the next generation, opens any
 * new listening address first (a failure leaves the old configuration running), then swaps
 * it in with one assignment; requests in flight finish on what they started with.
 * `drain` stops accepting, lets in-flight requests finish (closing each connection after its
 * response) and closes what is left after worker_shutdown_timeout.
 */
export class Balancer implements ListenerHost, AdminHost {
  readonly stats = new BalancerStats();
  readonly logger: Logger;
  readonly tunnels = new Set<UpgradeTunnel>();
  readonly control: ControlPolicy;
  #generation: Generation | null = null;
  loadedAt = Date.now();
  #draining = false;
  readonly #listeners = new Map<string, PublicListener>();
  #admin: AdminServer | null = null;
  readonly #configFile: string | null;
  readonly #loadOptions: LoadOptions;
  #reloadQueue: Promise<unknown> = Promise.resolve();
  readonly #worker: BalancerOptions['worker'] | null;

  private constructor(options: BalancerOptions) {
    this.#worker = options.worker ?? null;
    this.logger = options.logger ?? new Logger(new LogSink({ kind: 'stdout' }));
    this.#configFile = options.configFile ?? null;
    this.#loadOptions = options.loadOptions ?? {};
    this.control = options.control ?? { token: null };
  }

  /** Starts listening with `config`. Rejects (and leaves nothing open) if a listener cannot bind. */
  static async start(config: BalancerConfig, options: BalancerOptions = {}): Promise<Balancer> {
    const balancer = new Balancer(options);
    await balancer.#apply(config);
    balancer.stats.lastReloadAt = Date.now();
    balancer.logger.info(balancer.#worker ? 'worker started' : 'balancer started', {
      config: config.file,
      listen: balancer.listenerAddresses(),
      admin: balancer.adminAddress(),
      upstreams: config.upstreams.map((upstream) => `${upstream.name} (${upstream.method.name}, ${upstream.servers.length} servers)`),
      pid: process.pid,
    });
    return balancer;
  }

  get generation(): Generation {
    if (this.#generation === null) throw new Error('the balancer has no configuration yet');
    return this.#generation;
  }

  get draining(): boolean {
    return this.#draining;
  }

  get workerConnections(): number {
    return this.#generation?.config.workerConnections ?? 4096;
  }

  /** `host:port` of every public listener, as bound (port 0 resolved). */
  listenerAddresses(): string[] {
    return [...this.#listeners.keys()].map((key) => this.listenerAddress(key));
  }

  /** `host:port` of the public listener for a listen key, as bound (port 0 resolved); the key itself when it is not listening. */
  listenerAddress(key: string): string {
    const address = this.#listeners.get(key)?.address;
    return address ? formatHostPort({ host: address.address, port: address.port }) : key;
  }

  /** Bound port of the public listener for `key` (first one when omitted). */
  port(key?: string): number {
    const listener = key === undefined ? [...this.#listeners.values()][0] : this.#listeners.get(key);
    return listener?.address?.port ?? 0;
  }

  adminAddress(): string | null {
    const address = this.#admin?.address;
    return address ? formatHostPort({ host: address.address, port: address.port }) : null;
  }

  get adminPort(): number {
    return this.#admin?.address?.port ?? 0;
  }

  /** Applies a new configuration (already loaded and checked). Serialized with other reloads. */
  reload(config: BalancerConfig): Promise<void> {
    const run = this.#reloadQueue.then(() => this.#apply(config));
    this.#reloadQueue = run.catch(() => undefined);
    return run.then(() => {
      this.stats.reloads++;
      this.stats.lastReloadAt = Date.now();
      this.stats.lastReloadError = '';
      this.logger.info('configuration reloaded', {
        config: config.file,
        listen: this.listenerAddresses(),
        upstreams: config.upstreams.map((u) => u.name),
      });
    });
  }

  /**
   * Re-reads the configuration file and applies it (SIGHUP, POST /reload). A bad file is
   * logged with its file:line and the running configuration stays. Returns the problem, or null.
   */
  async reloadFromFile(): Promise<string | null> {
    if (this.#configFile === null) return 'started without a configuration file: nothing to reload';
    if (this.#draining) return 'shutting down';
    try {
      await this.reload(loadConfig(this.#configFile, this.#loadOptions));
      return null;
    } catch (error) {
      const message = (error as Error).message;
      this.stats.reloadFailures++;
      this.stats.lastReloadError = message;
      this.logger.error('configuration reload failed: still running the previous configuration', {
        config: this.#configFile,
        error: message,
      });
      return message;
    }
  }

  async #apply(config: BalancerConfig): Promise<void> {
    const previous = this.#generation;
    const next = new Generation(config, previous, this.logger, this.#worker?.book ?? null);
    const adminConfig = this.#worker ? null : config.admin;
    const opened: PublicListener[] = [];
    let admin: AdminServer | null = this.#admin;
    try {
      for (const route of next.routes.values()) {
        if (this.#listeners.has(route.key)) continue;
        const listener = new PublicListener(route, this);
        await listener.listen();
        opened.push(listener);
      }
      if (!sameListen(this.#admin?.listenConfig ?? null, adminConfig)) {
        admin = adminConfig === null ? null : new AdminServer(adminConfig, new LocalAdmin(this));
        if (admin !== null) await admin.listen();
      }
    } catch (error) {
      await Promise.all(opened.map((listener) => listener.stopAccepting()));
      if (admin !== null && admin !== this.#admin) await admin.close();
      await next.retire(previous);
      throw new Error(`cannot listen: ${(error as Error).message}`);
    }
    // The swap: from here on, new requests see the new configuration.
    this.#generation = next;
    this.loadedAt = Date.now();
    for (const listener of opened) this.#listeners.set(listener.key, listener);
    const closing: Array<Promise<void>> = [];
    for (const [key, listener] of this.#listeners) {
      const route = next.routes.get(key);
      if (route) listener.update(route);
      else {
        this.#listeners.delete(key);
        closing.push(listener.stopAccepting());
      }
    }
    if (admin !== this.#admin) {
      if (this.#admin !== null) closing.push(this.#admin.close());
      this.#admin = admin;
    }
    if (previous !== null) {
      await previous.stopHealthChecks();
      void previous.retire(next);
    }
    next.startHealthChecks();
    void Promise.all(closing);
  }

  /**
   * SIGTERM: stop accepting, finish in-flight requests (each connection closes after its
   * response), then close pools, health checks and the admin listener. Connections still
   * busy after `timeoutMs` (worker_shutdown_timeout) are closed.
   */
  async drain(timeoutMs = this.#generation?.config.shutdownTimeoutMs ?? 30_000): Promise<{ forced: boolean }> {
    if (this.#draining) return { forced: false };
    this.#draining = true;
    const listeners = [...this.#listeners.values()];
    const closed = Promise.all(listeners.map((listener) => listener.stopAccepting()));
    this.logger.info('draining: stopped accepting connections; finishing requests in flight', {
      active: this.stats.active,
      connections: this.stats.connections,
      timeout_ms: timeoutMs,
    });
    const deadline = Date.now() + timeoutMs;
    let forced = false;
    await new Promise<void>((resolve) => {
      const tick = setInterval(() => {
        for (const listener of listeners) listener.closeIdle();
        const idle = this.stats.active === 0 && this.tunnels.size === 0 && listeners.every((listener) => listener.openConnections === 0);
        if (idle) {
          clearInterval(tick);
          resolve();
        } else if (Date.now() >= deadline) {
          forced = true;
          clearInterval(tick);
          for (const listener of listeners) listener.destroyAll();
          for (const tunnel of this.tunnels) tunnel.close();
          resolve();
        }
      }, 50);
    });
    await closed;
    await this.#shutdown();
    this.logger.info('drained: exiting', { forced, requests: this.stats.requests });
    this.logger.sink.flush();
    return { forced };
  }

  /** Closes everything now (tests). */
  async close(): Promise<void> {
    this.#draining = true;
    for (const listener of this.#listeners.values()) listener.destroyAll();
    for (const tunnel of this.tunnels) tunnel.close();
    await Promise.all([...this.#listeners.values()].map((listener) => listener.stopAccepting()));
    await this.#shutdown();
  }

  async #shutdown(): Promise<void> {
    const generation = this.#generation;
    if (generation !== null) {
      await generation.stopHealthChecks();
      await generation.retire(null);
    }
    if (this.#admin !== null) await this.#admin.close();
    this.#listeners.clear();
  }
}

function sameListen(a: ListenConfig | null, b: ListenConfig | null): boolean {
  if (a === null || b === null) return a === b;
  return a.host === b.host && a.port === b.port;
}

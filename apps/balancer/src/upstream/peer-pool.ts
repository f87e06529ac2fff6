import { Client } from 'undici';
import { H1Connection, type H1Options } from './h1-connection';
import { acceptBareLfFromUpstreams } from './lenient-response-parser';

// Before the first upstream connection makes undici's parser: bare-LF heads are accepted, as nginx.
acceptBareLfFromUpstreams();

/** nginx's `keepalive N`: idle upstream connections kept, shared by all peers of an upstream. */
export class IdleBudget {
  idle = 0;
  constructor(readonly max: number) {}
}

export interface PeerPoolOptions {
  connectTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxRequestsPerConnection: number;
  /** keepalive_time: a connection this old is closed when its request ends, not kept idle (0: never). */
  maxAgeMs?: number;
}

/**
 * Connections to one peer, the idle ones on a stack (the most recently used is reused first,
 * so warm connections stay warm and cold ones time out). Two kinds: H1Connection, tenk's own,
 * for the common request (no upgrade, no streamed body: acquireH1), and one undici Client per
 * connection for the rest (acquire). acquire/release are O(1): this replaces undici's Pool,
 * which scans its clients on every dispatch, and gives `keepalive N` nginx's meaning: at most
 * N idle connections are kept (per upstream, both kinds together), any more are closed when
 * they become idle.
 */
export class PeerPool {
  readonly origin: string;
  readonly #options: Client.Options;
  readonly #idle: Client[] = [];
  readonly #all = new Set<Client>();
  readonly #h1Options: H1Options;
  readonly #idleH1: H1Connection[] = [];
  readonly #allH1 = new Set<H1Connection>();
  /** An H1Connection closed (idle timeout, the peer closed it, an error): forgotten, its idle slot freed. */
  readonly #forgetH1 = (connection: H1Connection): void => {
    this.#allH1.delete(connection);
    this.#born.delete(connection);
    const at = this.#idleH1.lastIndexOf(connection);
    if (at !== -1) {
      this.#idleH1.splice(at, 1);
      this.#budget.idle--;
    }
  };
  readonly #budget: IdleBudget;
  readonly #maxAgeMs: number;
  /** When each connection was made (Date.now()), for keepalive_time. */
  readonly #born = new Map<Client | H1Connection, number>();
  #closed = false;

  constructor(origin: string, options: PeerPoolOptions, budget: IdleBudget) {
    this.origin = origin;
    this.#budget = budget;
    this.#maxAgeMs = options.maxAgeMs ?? 0;
    this.#options = {
      pipelining: 2,
      connect: { timeout: options.connectTimeoutMs },
      keepAliveTimeout: options.keepAliveTimeoutMs,
      keepAliveMaxTimeout: Math.max(options.keepAliveTimeoutMs, 600_000),
      maxRequestsPerClient: options.maxRequestsPerConnection,
    };
    const url = new URL(origin);
    this.#h1Options = {
      // An IPv6 address comes bracketed in a URL.
      host: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
      port: Number(url.port === '' ? 80 : url.port),
      connectTimeoutMs: options.connectTimeoutMs,
      keepAliveTimeoutMs: options.keepAliveTimeoutMs,
      keepAliveMaxTimeoutMs: Math.max(options.keepAliveTimeoutMs, 600_000),
      maxRequests: options.maxRequestsPerConnection,
    };
  }

  /** A connection of tenk's own (H1Connection) for one request: an idle one, or a new one. Give it back with releaseH1(). */
  acquireH1(): H1Connection {
    const idle = this.#idleH1;
    const last = idle.pop();
    if (last !== undefined) {
      // Closed ones leave the stack as they close (#forgetH1).
      this.#budget.idle--;
      return last;
    }
    const connection = new H1Connection(this.#h1Options);
    connection.onClose = this.#forgetH1;
    this.#allH1.add(connection);
    if (this.#maxAgeMs > 0) this.#born.set(connection, Date.now());
    return connection;
  }

  /** The request on `connection` ended: keep it idle, or close it. */
  releaseH1(connection: H1Connection): void {
    if (!this.#closed && !connection.destroyed && !connection.busy && this.#budget.idle < this.#budget.max && !this.#tooOld(connection)) {
      this.#idleH1.push(connection);
      this.#budget.idle++;
      return;
    }
    connection.close();
  }

  /** A connection for one request: an idle one, or a new one. Give it back with release(). */
  acquire(): Client {
    const idle = this.#idle.pop();
    if (idle !== undefined) {
      this.#budget.idle--;
      return idle;
    }
    const client = new Client(this.origin, this.#options);
    this.#all.add(client);
    if (this.#maxAgeMs > 0) this.#born.set(client, Date.now());
    return client;
  }

  /** The request on `client` ended (completed or failed): keep it idle, or close it. */
  release(client: Client): void {
    if (!this.#closed && this.#budget.idle < this.#budget.max && !client.destroyed && !client.closed && !this.#tooOld(client)) {
      this.#idle.push(client);
      this.#budget.idle++;
      return;
    }
    this.#all.delete(client);
    this.#born.delete(client);
    void client.close().catch(() => undefined);
  }

  #tooOld(client: Client | H1Connection): boolean {
    if (this.#maxAgeMs === 0) return false;
    const born = this.#born.get(client);
    return born !== undefined && Date.now() - born >= this.#maxAgeMs;
  }

  /** Closes every connection once its request (if any) has finished. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#budget.idle -= this.#idle.length + this.#idleH1.length;
    this.#idle.length = 0;
    for (const connection of this.#idleH1) connection.close();
    this.#idleH1.length = 0;
    await Promise.all([...this.#all].map((client) => client.close().catch(() => undefined)));
    this.#all.clear();
    await Promise.all([...this.#allH1].map((connection) => connection.end()));
  }
}

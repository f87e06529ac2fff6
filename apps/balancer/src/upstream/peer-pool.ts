import { Client } from 'undici';
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
 * Connections to one peer: one undici Client per connection, the idle ones on a stack (the
 * most recently used is reused first, so warm connections stay warm and cold ones time out).
 * acquire/release are O(1): this replaces undici's Pool, which scans its clients on every
 * dispatch, and gives `keepalive N` nginx's meaning: at most N idle connections are kept
 * (per upstream), any more are closed when they become idle.
 */
export class PeerPool {
  readonly origin: string;
  readonly #options: Client.Options;
  readonly #idle: Client[] = [];
  readonly #all = new Set<Client>();
  readonly #budget: IdleBudget;
  readonly #maxAgeMs: number;
  /** When each connection was made (Date.now()), for keepalive_time. */
  readonly #born = new Map<Client, number>();
  #closed = false;

  constructor(origin: string, options: PeerPoolOptions, budget: IdleBudget) {
    this.origin = origin;
    this.#budget = budget;
    this.#maxAgeMs = options.maxAgeMs ?? 0;
    this.#options = {
      pipelining: 1,
      connect: { timeout: options.connectTimeoutMs },
      keepAliveTimeout: options.keepAliveTimeoutMs,
      keepAliveMaxTimeout: Math.max(options.keepAliveTimeoutMs, 600_000),
      maxRequestsPerClient: options.maxRequestsPerConnection,
    };
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

  #tooOld(client: Client): boolean {
    if (this.#maxAgeMs === 0) return false;
    const born = this.#born.get(client);
    return born !== undefined && Date.now() - born >= this.#maxAgeMs;
  }

  /** Closes every connection once its request (if any) has finished. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#budget.idle -= this.#idle.length;
    this.#idle.length = 0;
    await Promise.all([...this.#all].map((client) => client.close().catch(() => undefined)));
    this.#all.clear();
  }
}

import net from 'node:net';

/**
 * A TCP proxy in front of a real service, for fault tests that must not disturb the shared
 * stack: `cut()` drops every connection and refuses new ones (the service looks dead to
 * whoever connects through the proxy), `restore()` lets traffic through again.
 */
export class TcpProxy {
  readonly #target: { host: string; port: number };
  readonly #sockets = new Set<net.Socket>();
  #server: net.Server | undefined;
  #port = 0;
  #cut = false;
  #connections = 0;

  constructor(target: { host?: string; port: number }) {
    this.#target = { host: target.host ?? '127.0.0.1', port: target.port };
  }

  get port(): number {
    return this.#port;
  }

  /** Connections accepted since start (a cut proxy accepts none). */
  get connections(): number {
    return this.#connections;
  }

  async start(port = 0): Promise<this> {
    const server = net.createServer((client) => this.#accept(client));
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.#port = (server.address() as net.AddressInfo).port;
    return this;
  }

  /** Destroys open connections and resets new ones until restore(). */
  cut(): void {
    this.#cut = true;
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
  }

  restore(): void {
    this.#cut = false;
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  #accept(client: net.Socket): void {
    if (this.#cut) {
      client.resetAndDestroy();
      return;
    }
    this.#connections += 1;
    const upstream = net.connect(this.#target);
    for (const socket of [client, upstream]) {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  }
}

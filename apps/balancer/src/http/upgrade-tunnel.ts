import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** The request a tunnel belongs to (a ProxyExchange): told once when the tunnel closes. */
export interface TunnelOwner {
  /** Both sides are closed; `bytesSent` went from the upstream to the client. */
  onTunnelClose(bytesSent: number): void;
}

/**
 * A client connection switched to a byte tunnel, which happens only after the upstream
 * answered `101 Switching Protocols` to a request that asked for an upgrade in a location
 * that lets upgrades through (ProxyExchange.onUpgrade, as nginx's `u->upgrade`). The 101 head
 * is written to the client, then bytes flow both ways untouched. proxy_read_timeout closes a
 * tunnel idle in both directions, as nginx does. Closing either side closes both.
 */
export class UpgradeTunnel {
  readonly #owner: TunnelOwner;
  readonly #client: Socket;
  readonly #peer: Duplex;
  readonly #tunnels: Set<UpgradeTunnel>;
  #bytesSent = 0;
  #closed = false;

  constructor(owner: TunnelOwner, client: Socket, peer: Duplex, head: string, idleMs: number, tunnels: Set<UpgradeTunnel>) {
    this.#owner = owner;
    this.#client = client;
    this.#peer = peer;
    this.#tunnels = tunnels;
    tunnels.add(this);
    const close = () => this.close();
    client.on('error', close);
    client.on('close', close);
    peer.on('error', close);
    peer.on('close', close);
    client.setTimeout(idleMs, close);
    (peer as Socket).setTimeout?.(idleMs, close);
    peer.on('data', (chunk: Buffer) => {
      this.#bytesSent += chunk.length;
    });
    client.write(head);
    peer.pipe(client);
    client.pipe(peer);
    // undici paused the upstream socket when it handed it over; the client socket was left
    // unread since the request (any bytes the client sent early are still buffered).
    peer.resume();
    client.resume();
  }

  /** Ends both sides (either side closing, drain, shutdown). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#tunnels.delete(this);
    this.#client.destroy();
    this.#peer.destroy();
    this.#owner.onTunnelClose(this.#bytesSent);
  }
}

import type { IncomingMessage } from 'node:http';
import net, { type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import type { BalancerStats } from '../observability/stats';
import type { RuntimeLocation } from '../runtime/runtime-location';
import type { Peer } from '../upstream/peer';
import type { Upstream } from '../upstream/upstream';
import { NextUpstream } from './next-upstream';
import { rawReply } from './raw-reply';
import { RequestRecord } from './request-record';
import { rawHeader } from './variables';

/**
 * A WebSocket (or any `Upgrade:`) request: after a peer accepts the TCP connection, the
 * request line and headers are written to it (with X-Forwarded-For etc. and the Upgrade and
 * Connection headers restored), and from then on bytes flow both ways untouched. The peer
 * counts the tunnel as an active connection until it closes (least_conn sees it), and
 * proxy_read_timeout closes a tunnel idle in both directions, as nginx does.
 */
export class UpgradeTunnel extends RequestRecord {
  readonly client: Duplex;
  readonly location: RuntimeLocation;
  readonly upstream: Upstream;
  readonly #head: Buffer;
  readonly #onClosed: (tunnel: UpgradeTunnel) => void;
  peer: Peer | null = null;
  #peerSocket: net.Socket | null = null;
  #connected = false;
  #closed = false;
  #path = '/';

  constructor(
    req: IncomingMessage,
    client: Duplex,
    head: Buffer,
    serverPort: number,
    stats: BalancerStats,
    location: RuntimeLocation,
    upstream: Upstream,
    onClosed: (tunnel: UpgradeTunnel) => void,
  ) {
    super(req, serverPort, stats);
    this.client = client;
    this.#head = head;
    this.location = location;
    this.upstream = upstream;
    this.upstreamName = upstream.name;
    this.proxyHost = upstream.name;
    this.#onClosed = onClosed;
  }

  start(path: string): void {
    this.#path = path;
    this.client.on('error', () => this.close());
    this.client.on('close', () => this.close());
    this.#connectNext();
  }

  /** Ends both sides (drain, shutdown, or either side closing). */
  close(destroyClient = true): void {
    if (this.#closed) return;
    this.#closed = true;
    if (destroyClient) this.client.destroy();
    this.#peerSocket?.destroy();
    if (this.peer !== null && this.#connected) this.upstream.release(this.peer, false, Date.now());
    if (this.#connected) this.stats.websocketsActive--;
    this.durationMs = performance.now() - this.startedAt;
    this.#onClosed(this);
    this.location.accessLog?.write(this);
  }

  #connectNext(): void {
    const peer = this.upstream.pick(this, Date.now());
    if (peer === null) {
      this.#fail(502, this.tries === 0 ? `no live peer in upstream "${this.upstream.name}"` : `upstream "${this.upstream.name}" refused the connection on ${this.tries} peer(s)`);
      return;
    }
    this.peer = peer;
    this.peerAddress = peer.address;
    const socket = net.connect({ host: peer.host, port: peer.port, noDelay: true });
    this.#peerSocket = socket;
    const connectTimeout = setTimeout(() => socket.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })), this.upstream.config.connectTimeoutMs);
    socket.once('connect', () => {
      clearTimeout(connectTimeout);
      if (this.#closed) {
        this.upstream.release(peer, false, Date.now());
        socket.destroy();
        return;
      }
      this.#connected = true;
      this.upstreamMs = performance.now() - this.startedAt;
      this.stats.websocketsActive++;
      this.stats.websocketsTotal++;
      this.status = 101;
      socket.write(this.#requestHead());
      if (this.#head.length > 0) socket.write(this.#head);
      const idle = this.location.readTimeoutMs;
      socket.setTimeout(idle, () => this.close());
      // Node hands upgrades a net.Socket (typed as Duplex).
      (this.client as Socket).setTimeout(idle, () => this.close());
      socket.on('data', (chunk: Buffer) => {
        this.bytesSent += chunk.length;
      });
      socket.pipe(this.client);
      this.client.pipe(socket);
      socket.on('close', () => this.close());
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(connectTimeout);
      if (this.#connected || this.#closed) {
        this.close();
        return;
      }
      this.upstream.release(peer, true, Date.now());
      const flag = error.code === 'ETIMEDOUT' ? NextUpstream.timeout : NextUpstream.error;
      const location = this.location;
      const canRetry =
        (location.nextUpstream & flag) !== 0 &&
        (location.nextUpstreamTries === 0 || this.tries < location.nextUpstreamTries) &&
        this.tries < this.upstream.peers.length;
      if (canRetry) this.#connectNext();
      else this.#fail(flag === NextUpstream.timeout ? 504 : 502, `upstream "${this.upstream.name}" failed (${error.code ?? error.message})`);
    });
  }

  #requestHead(): string {
    const headers = this.location.requestHeaders.build(this.req.rawHeaders, this);
    let head = `${this.req.method ?? 'GET'} ${this.#path} HTTP/1.1\r\n`;
    for (let i = 0; i < headers.length; i += 2) {
      const value = headers[i + 1];
      if (value.includes('\r') || value.includes('\n')) continue;
      head += `${headers[i]}: ${value}\r\n`;
    }
    return `${head}Connection: Upgrade\r\nUpgrade: ${rawHeader(this.req.rawHeaders, 'upgrade')}\r\n\r\n`;
  }

  #fail(status: number, reason: string): void {
    this.status = status;
    rawReply(this.client, status, reason, `X-Request-Id: ${this.requestId}\r\n`);
    this.close(false);
  }
}

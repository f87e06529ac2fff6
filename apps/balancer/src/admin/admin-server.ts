import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkControlRequest, readJsonBody, type ControlPolicy } from '@tenk/control-plane';
import type { ListenConfig } from '../config/schema';
import { parseConfigText } from '../config/parser';
import { isConfigError } from '../config/config-error';
import type { BalancerStatus } from './status';
import { renderStatusPage } from './status-page';

/** An answer the admin listener sends as it is. */
export interface AdminAnswer {
  status: number;
  contentType: string;
  body: string;
}

/** An algorithm in directive syntax, as a PUT body names it. */
export interface AlgorithmChange {
  name: string;
  args: string[];
}

/**
 * What the admin listener serves: one balancer process (LocalAdmin), or with
 * `worker_processes N` the primary, which asks its workers and sums them (ClusterAdmin).
 */
export interface AdminBackend {
  /** The run's control token, without which nothing here changes state. */
  readonly control: ControlPolicy;
  readonly draining: boolean;
  status(): Promise<BalancerStatus>;
  /** Prometheus text. */
  metrics(): Promise<string>;
  readonly metricsContentType: string;
  /** Re-reads the configuration file (as SIGHUP does); resolves to an error message or null. */
  reloadFromFile(): Promise<string | null>;
  /** GET (change null) or PUT an upstream's algorithm. */
  algorithm(upstream: string, change: AlgorithmChange | null): Promise<AdminAnswer>;
}

const MAX_BODY = 4096;

/**
 * The admin listener: GET / (status page), GET /status (JSON), GET /metrics (Prometheus),
 * PUT /upstreams/NAME/algorithm (switch the algorithm until the next reload; JSON body
 * {"algorithm": "least_conn"}, in directive syntax such as `hash $request_uri consistent`),
 * POST /reload (as SIGHUP; body {}). Its own node:http server on its own port, bound to
 * loopback by default: the public listeners have no route to any of this. Every request must
 * name this listener as its Host; the PUT and the POST also need the run's control token
 * (`Authorization: Bearer`), no foreign Origin and a JSON body (@tenk/control-plane).
 */
export class AdminServer {
  readonly server: http.Server;
  readonly #host: AdminBackend;
  #listen: ListenConfig;

  constructor(listen: ListenConfig, host: AdminBackend) {
    this.#listen = listen;
    this.#host = host;
    this.server = http.createServer({ requestTimeout: 10_000, headersTimeout: 5_000, keepAliveTimeout: 5_000 }, (req, res) => {
      this.#handle(req, res).catch((error: unknown) =>
        send(res, 500, 'text/plain; charset=utf-8', `admin error: ${(error as Error).message}\n`),
      );
    });
  }

  get listenConfig(): ListenConfig {
    return this.#listen;
  }

  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host: this.#listen.host, port: this.#listen.port, ipv6Only: this.#listen.host.includes(':') }, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  get address(): AddressInfo | null {
    return this.server.address() as AddressInfo | null;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const refusal = checkControlRequest(req, this.#host.control);
    if (refusal) return send(res, refusal.status, 'text/plain; charset=utf-8', `${refusal.message}\n`, refusal.headers);
    const url = new URL(req.url ?? '/', 'http://admin');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (path === '/' || path === '/status.html') {
      if (method !== 'GET' && method !== 'HEAD') return notAllowed(res, 'GET');
      // No Referer: the page may have been opened with the token in its URL.
      return send(res, 200, 'text/html; charset=utf-8', renderStatusPage(await this.#host.status()), { 'referrer-policy': 'no-referrer' });
    }
    if (path === '/status') {
      if (method !== 'GET' && method !== 'HEAD') return notAllowed(res, 'GET');
      return send(res, 200, 'application/json', `${JSON.stringify(await this.#host.status(), null, 2)}\n`);
    }
    if (path === '/metrics') {
      if (method !== 'GET' && method !== 'HEAD') return notAllowed(res, 'GET');
      return send(res, 200, this.#host.metricsContentType, await this.#host.metrics());
    }
    if (path === '/health') return send(res, 200, 'text/plain; charset=utf-8', this.#host.draining ? 'draining\n' : 'ok\n');
    if (path === '/reload') {
      if (method !== 'POST') return notAllowed(res, 'POST');
      const body = await readJsonBody(req, MAX_BODY);
      if (!body.ok) return send(res, body.status, 'text/plain; charset=utf-8', `${body.message}\n`);
      const problem = await this.#host.reloadFromFile();
      return problem === null
        ? send(res, 200, 'text/plain; charset=utf-8', 'reloaded\n')
        : send(res, 400, 'text/plain; charset=utf-8', `reload refused, still running the previous configuration:\n${problem}\n`);
    }
    const algorithm = /^\/upstreams\/([^/]+)\/algorithm$/.exec(path);
    if (algorithm) {
      const name = decodeURIComponent(algorithm[1]);
      if (method === 'GET') return answer(res, await this.#host.algorithm(name, null));
      if (method !== 'PUT') return notAllowed(res, 'GET, PUT');
      const body = await readJsonBody(req, MAX_BODY);
      if (!body.ok) return send(res, body.status, 'text/plain; charset=utf-8', `${body.message}\n`);
      const parsed = parseAlgorithm(body.value);
      if (typeof parsed === 'string') return send(res, 400, 'text/plain; charset=utf-8', `${parsed}\n`);
      return answer(res, await this.#host.algorithm(name, parsed));
    }
    send(res, 404, 'text/plain; charset=utf-8', 'not found; try GET /, /status, /metrics, PUT /upstreams/NAME/algorithm, POST /reload\n');
  }
}

/**
 * The algorithm from a PUT body, {"algorithm": "..."} in directive syntax (`least_conn`,
 * `hash $request_uri consistent`, `random two`). `round_robin` selects the default.
 */
export function parseAlgorithm(body: unknown): AlgorithmChange | string {
  const value = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as { algorithm?: unknown }).algorithm : undefined;
  if (typeof value !== 'string')
    return 'the body needs {"algorithm": "least_conn"} (or round_robin, ip_hash, "hash $request_uri consistent", "random two")';
  const text = value.trim();
  if (text === '')
    return 'empty algorithm: send one such as least_conn, round_robin, ip_hash, "hash $request_uri consistent" or "random two"';
  try {
    const directives = parseConfigText(text.endsWith(';') ? text : `${text};`, '<admin>');
    if (directives.length !== 1 || directives[0].block !== null) return 'send exactly one algorithm, e.g. least_conn';
    return { name: directives[0].name, args: directives[0].args };
  } catch (error) {
    return isConfigError(error) ? error.problem : (error as Error).message;
  }
}

function answer(res: ServerResponse, reply: AdminAnswer): void {
  send(res, reply.status, reply.contentType, reply.body);
}

function send(res: ServerResponse, status: number, contentType: string, body: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(body);
}

function notAllowed(res: ServerResponse, allow: string): void {
  res.setHeader('allow', allow);
  send(res, 405, 'text/plain; charset=utf-8', `method not allowed; use ${allow}\n`);
}

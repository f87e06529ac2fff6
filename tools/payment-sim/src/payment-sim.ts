import http from 'node:http';
import type { Socket } from 'node:net';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { checkControlRequest, isStateChanging, readJsonBody } from '@tenk/control-plane';
import type { Logger } from '@tenk/observability';
import { mergeFaults, NO_FAULTS, type Faults } from './faults';
import { Ledger, type AuthorizeRequest } from './ledger';

export interface PaymentSimOptions {
  /** The payment API (0 = any free port). */
  port: number;
  /** The admin API: faults, stats, health, metrics (0 = any free port). */
  adminPort: number;
  /** Listen address (default 127.0.0.1; 0.0.0.0 in a container). */
  host?: string;
  /** The run's control token: the admin API changes faults and stats only with it; null: never. */
  controlToken: string | null;
  /** Where a caller finds the token (named in the 401). */
  controlTokenHint?: string;
  logger: Logger;
}

export interface PaymentSimStats {
  /** Payment requests that reached the simulator, by route. */
  received: Record<string, number>;
  authorizations: number;
  faults: Faults;
}

const MAX_BODY_BYTES = 16 * 1024;

/**
 * A payment provider stand-in: authorize / capture / void with idempotency keys, and fault
 * modes (latency, error rate, hang, refused connections) switched at runtime on its admin port.
 */
export class PaymentSim {
  readonly #options: PaymentSimOptions;
  readonly #ledger = new Ledger();
  readonly #registry = new Registry();
  readonly #requests: Counter<'route' | 'outcome'>;
  readonly #received = new Map<string, number>();
  readonly #sockets = new Set<Socket>();
  readonly #hanging = new Set<http.ServerResponse>();
  #faults: Faults = { ...NO_FAULTS };
  #api: http.Server;
  #admin: http.Server;
  #port = 0;
  #adminPort = 0;

  constructor(options: PaymentSimOptions) {
    this.#options = options;
    this.#registry.setDefaultLabels({ service: 'payment-sim' });
    collectDefaultMetrics({ register: this.#registry });
    this.#requests = new Counter({
      name: 'payment_sim_requests_total',
      help: 'Payment requests by route and outcome',
      labelNames: ['route', 'outcome'],
      registers: [this.#registry],
    });
    const currentFaults = () => this.#faults;
    new Gauge({
      name: 'payment_sim_fault',
      help: 'Active fault modes: hang and refuse_connections are 0/1, latency_ms in ms, error_rate 0..1',
      labelNames: ['fault'],
      registers: [this.#registry],
      collect() {
        const faults = currentFaults();
        this.set({ fault: 'hang' }, faults.hang ? 1 : 0);
        this.set({ fault: 'refuse_connections' }, faults.refuseConnections ? 1 : 0);
        this.set({ fault: 'latency_ms' }, faults.latencyMs);
        this.set({ fault: 'error_rate' }, faults.errorRate);
      },
    });
    this.#api = this.#createApi();
    this.#admin = http.createServer((req, res) => void this.#handleAdmin(req, res));
  }

  get port(): number {
    return this.#port;
  }

  get adminPort(): number {
    return this.#adminPort;
  }

  async start(): Promise<void> {
    this.#adminPort = await listen(this.#admin, this.#options.adminPort, this.#options.host);
    this.#port = await listen(this.#api, this.#options.port, this.#options.host);
    this.#options.logger.info({ port: this.#port, adminPort: this.#adminPort }, 'payment-sim listening');
  }

  async stop(): Promise<void> {
    for (const res of this.#hanging) res.destroy();
    for (const socket of this.#sockets) socket.destroy();
    await Promise.all([close(this.#api), close(this.#admin)]);
  }

  stats(): PaymentSimStats {
    return { received: Object.fromEntries(this.#received), authorizations: this.#ledger.size, faults: { ...this.#faults } };
  }

  /** Applies faults; turning refuseConnections on closes the payment port, off reopens it. */
  async setFaults(faults: Faults): Promise<void> {
    const wasRefusing = this.#faults.refuseConnections;
    this.#faults = faults;
    if (!faults.hang) {
      for (const res of this.#hanging) res.destroy();
      this.#hanging.clear();
    }
    if (faults.refuseConnections && !wasRefusing) {
      for (const socket of this.#sockets) socket.destroy();
      await close(this.#api);
    } else if (!faults.refuseConnections && wasRefusing) {
      this.#api = this.#createApi();
      await listen(this.#api, this.#port, this.#options.host);
    }
    this.#options.logger.warn({ faults }, 'faults changed');
  }

  #createApi(): http.Server {
    const server = http.createServer((req, res) => void this.#handlePayment(req, res));
    server.keepAliveTimeout = 5_000;
    server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
    return server;
  }

  async #handlePayment(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://psp');
    const route = routeOf(req.method ?? 'GET', url.pathname);
    this.#received.set(route, (this.#received.get(route) ?? 0) + 1);
    const faults = this.#faults;
    if (faults.hang) {
      this.#hanging.add(res);
      res.once('close', () => this.#hanging.delete(res));
      this.#requests.inc({ route, outcome: 'hung' });
      return;
    }
    if (faults.latencyMs > 0) await sleep(faults.latencyMs);
    if (faults.errorRate > 0 && Math.random() < faults.errorRate) {
      this.#requests.inc({ route, outcome: 'injected_error' });
      return send(res, 503, { error: 'injected fault: the provider is unavailable' });
    }
    const body = await readJson(req).catch((error: Error) => error);
    if (body instanceof Error) {
      this.#requests.inc({ route, outcome: 'bad_request' });
      return send(res, 400, { error: body.message });
    }
    const [status, payload, headers] = this.#payment(req, url.pathname, body);
    this.#requests.inc({ route, outcome: String(status) });
    send(res, status, payload, headers);
  }

  #payment(req: http.IncomingMessage, path: string, body: unknown): [number, unknown, Record<string, string>?] {
    const parts = path.split('/').filter(Boolean);
    if (req.method === 'POST' && path === '/v1/authorizations') {
      const key = req.headers['idempotency-key'];
      if (typeof key !== 'string' || !/^[\w.:-]{8,128}$/.test(key))
        return [400, { error: 'Idempotency-Key header is required (8-128 characters of A-Z a-z 0-9 _ . : -)' }];
      const problems = validateAuthorize(body);
      if (typeof problems === 'string') return [422, { error: problems }];
      const result = this.#ledger.authorize(key, problems);
      if ('conflict' in result) return [422, { error: result.conflict }];
      return [result.replayed ? 200 : 201, result.authorization, result.replayed ? { 'idempotent-replayed': 'true' } : {}];
    }
    if (parts[0] === 'v1' && parts[1] === 'authorizations' && parts.length === 3 && req.method === 'GET') {
      const authorization = this.#ledger.get(parts[2]);
      return authorization ? [200, authorization] : [404, { error: `no authorization ${parts[2]}` }];
    }
    if (
      parts[0] === 'v1' &&
      parts[1] === 'authorizations' &&
      parts.length === 4 &&
      req.method === 'POST' &&
      (parts[3] === 'capture' || parts[3] === 'void')
    ) {
      const result = this.#ledger.transition(parts[2], parts[3] === 'capture' ? 'captured' : 'voided');
      return 'error' in result ? [result.status, { error: result.error }] : [200, result];
    }
    return [404, { error: `no route ${req.method} ${path}` }];
  }

  async #handleAdmin(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const refusal = checkControlRequest(req, { token: this.#options.controlToken, tokenHint: this.#options.controlTokenHint });
    if (refusal) return send(res, refusal.status, { error: refusal.message }, refusal.headers);
    const path = new URL(req.url ?? '/', 'http://admin').pathname;
    if (req.method === 'GET' && path === '/health')
      return send(res, 200, { status: 'ok', refusingConnections: this.#faults.refuseConnections });
    if (req.method === 'GET' && path === '/metrics') {
      res.writeHead(200, { 'content-type': this.#registry.contentType });
      res.end(await this.#registry.metrics());
      return;
    }
    if (req.method === 'GET' && path === '/admin/stats') return send(res, 200, this.stats());
    if (req.method === 'GET' && path === '/admin/faults') return send(res, 200, this.#faults);
    if (!isStateChanging(req.method))
      return send(res, 404, { error: `no route ${req.method} ${path}; see GET /admin/faults, GET /admin/stats, /health, /metrics` });
    // Every change carries a JSON body (a DELETE's is {}): checked before anything changes.
    const body = await readJsonBody(req, MAX_BODY_BYTES);
    if (!body.ok) return send(res, body.status, { error: body.message });
    if (req.method === 'DELETE' && path === '/admin/faults') {
      await this.setFaults({ ...NO_FAULTS });
      return send(res, 200, this.#faults);
    }
    if ((req.method === 'PUT' || req.method === 'PATCH') && path === '/admin/faults') {
      const merged = mergeFaults(req.method === 'PUT' ? { ...NO_FAULTS } : this.#faults, body.value);
      if ('problems' in merged) return send(res, 400, { error: merged.problems.join('; ') });
      await this.setFaults(merged.faults);
      return send(res, 200, this.#faults);
    }
    if (req.method === 'DELETE' && path === '/admin/stats') {
      this.#received.clear();
      return send(res, 200, this.stats());
    }
    send(res, 404, {
      error: `no route ${req.method} ${path}; see GET /admin/faults, PUT|PATCH|DELETE /admin/faults, GET|DELETE /admin/stats`,
    });
  }
}

function validateAuthorize(body: unknown): AuthorizeRequest | string {
  if (typeof body !== 'object' || body === null) return 'body must be a JSON object with amountCents, currency and reference';
  const { amountCents, currency, reference } = body as Record<string, unknown>;
  if (typeof amountCents !== 'number' || !Number.isInteger(amountCents) || amountCents <= 0)
    return 'amountCents must be a whole number > 0';
  if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency)) return 'currency must be a 3-letter ISO code such as EUR';
  if (typeof reference !== 'string' || reference.length === 0 || reference.length > 200)
    return 'reference must be a string of 1-200 characters';
  return { amountCents, currency, reference };
}

function routeOf(method: string, path: string): string {
  return `${method} ${path.replace(/\/auth_[\w-]+/, '/:id')}`;
}

function readJson(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error(`body larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.length === 0) return resolve({});
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new Error('body is not valid JSON'));
      }
    });
    req.on('error', reject);
  });
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(`${JSON.stringify(body)}\n`);
}

function listen(server: http.Server, port: number, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as { port: number }).port);
    });
  });
}

function close(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

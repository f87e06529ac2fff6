/**
 * Upstream servers for the balancer experiments, run as their own process (so the lab can pin
 * them to a CPU and charge their CPU to them, not to the balancer):
 *
 *   node -r ./tools/register.cjs tools/lab/src/experiments/balancer-upstreams.ts fast PORT [PORT...]
 *     answers every request at once with a small JSON body, like a cached api read;
 *   ... balancer-upstreams.ts queue PORT [PORT...]
 *     each port is one single-worker server (as one Node process doing CPU-bound work): requests
 *     wait in a FIFO queue and are served one at a time; /work?ms=N takes N ms of service.
 *     Service time is a timer, not a busy loop, so the 2-core machine is not the bottleneck.
 *   ... balancer-upstreams.ts hold PORT [PORT...]
 *     answers /health... at once and never answers anything else (until it exits): requests
 *     that hold a balancer's max_conns slots and fill its queue, so every other is refused.
 *
 * Prints "ready" once every port listens.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';

const BODY = Buffer.from(`${JSON.stringify({ id: 42, sku: 'TENK-0042', name: 'Lab product', priceCents: 1999, stock: 7 })}\n`);

function fast(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': BODY.length });
  res.end(BODY);
}

/** Health checks pass; every other request is held open, never answered. */
function hold(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  if ((req.url ?? '').startsWith('/health')) fast(req, res);
}

/** One worker: at most one request in service, the rest queued in arrival order. */
function queueWorker(port: number): (req: IncomingMessage, res: ServerResponse) => void {
  const waiting: Array<{ res: ServerResponse; ms: number }> = [];
  let busy = false;
  const next = (): void => {
    const job = waiting.shift();
    if (!job) {
      busy = false;
      return;
    }
    busy = true;
    setTimeout(() => {
      const body = `{"port":${port},"ms":${job.ms}}\n`;
      if (!job.res.destroyed) {
        job.res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        job.res.end(body);
      }
      next();
    }, job.ms);
  };
  return (req, res) => {
    const ms = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('ms') ?? '1');
    req.resume();
    waiting.push({ res, ms: Number.isFinite(ms) && ms >= 0 ? ms : 1 });
    if (!busy) next();
  };
}

async function main(): Promise<void> {
  const [mode, ...ports] = process.argv.slice(2);
  if ((mode !== 'fast' && mode !== 'queue' && mode !== 'hold') || ports.length === 0) {
    throw new Error('usage: balancer-upstreams.ts fast|queue|hold PORT [PORT...]');
  }
  await Promise.all(
    ports.map(
      (text) =>
        new Promise<void>((resolve, reject) => {
          const port = Number(text);
          const server = http.createServer(
            { keepAliveTimeout: 60_000 },
            mode === 'fast' ? fast : mode === 'hold' ? hold : queueWorker(port),
          );
          server.once('error', reject);
          server.listen(port, '127.0.0.1', () => resolve());
        }),
    ),
  );
  process.stdout.write('ready\n');
  process.on('SIGTERM', () => process.exit(0));
}

main().catch((error: unknown) => {
  process.stderr.write(`balancer-upstreams: ${(error as Error).message}\n`);
  process.exit(1);
});

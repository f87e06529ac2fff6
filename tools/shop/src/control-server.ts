import http from 'node:http';
import type { Shop } from './shop';

/**
 * The launcher's local control API, on 127.0.0.1 only: what the live map and the fault drills
 * use to stop, start or kill a process of the running shop.
 *   GET  /processes                      name, pid, state, restarts of each process
 *   POST /processes/:name/stop|start|kill|restart
 */
export function startControlServer(shop: Shop, port: number): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    handle(shop, req).then(
      ([status, body]) => send(res, status, body),
      (error: unknown) => send(res, 500, { error: error instanceof Error ? error.message : String(error) }),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

async function handle(shop: Shop, req: http.IncomingMessage): Promise<[number, unknown]> {
  const parts = new URL(req.url ?? '/', 'http://control').pathname.split('/').filter(Boolean);
  if (parts[0] !== 'processes') return [404, { error: 'see GET /processes' }];
  if (parts.length === 1 && req.method === 'GET') return [200, shop.describe()];
  const process = shop.processes.get(parts[1] ?? '');
  if (!process) return [404, { error: `no process "${parts[1]}"; processes: ${[...shop.processes.keys()].join(', ')}` }];
  if (parts.length === 2 && req.method === 'GET') return [200, shop.describe().find((entry) => entry.name === parts[1])];
  if (parts.length !== 3 || req.method !== 'POST') return [405, { error: 'use POST /processes/:name/stop|start|kill|restart' }];
  switch (parts[2]) {
    case 'stop':
      await process.stop();
      break;
    case 'kill':
      await process.kill('SIGKILL');
      break;
    case 'start':
      if (process.state === 'ready' || process.state === 'starting') return [409, { error: `${parts[1]} is already ${process.state}` }];
      process.start();
      await process.waitReady();
      break;
    case 'restart':
      await process.stop();
      process.start();
      await process.waitReady();
      break;
    default:
      return [404, { error: `unknown action "${parts[2]}": stop, start, kill or restart` }];
  }
  return [200, shop.describe().find((entry) => entry.name === parts[1])];
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(`${JSON.stringify(body)}\n`);
}

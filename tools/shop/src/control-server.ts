import http from 'node:http';
import type { HostStatus } from '@tenk/contracts/api';
import { checkControlRequest, readJsonBody } from '@tenk/control-plane';
import type { Shop } from './shop';

/** What the control API needs of a shop: its processes, and the run's token and where it is kept. */
export type ControlledShop = Pick<Shop, 'processes' | 'describe' | 'controlToken' | 'controlTokenFile'>;

/** One host of a shop that runs on many (tools/hosts), as GET /hosts lists it. */
export type HostView = HostStatus;

/** What a launcher adds to its control API: the hosts, when the shop runs on many (tools/hosts). */
export interface ControlExtras {
  hosts?: () => Promise<HostView[]>;
}

/**
 * The launcher's local control API, on 127.0.0.1 only: what the live map and the fault drills
 * use to stop, start or kill a process of the running shop.
 *   GET  /processes                      name, pid, state, restarts of each process
 *   POST /processes/:name/stop|start|kill|restart   with the run's token and a JSON body ({})
 *   GET  /hosts                          the hosts and their links (a shop on many hosts; else 404)
 * Every request must name this server as its Host; a POST also needs `Authorization: Bearer
 * <token>`, no foreign Origin and `Content-Type: application/json` (see @tenk/control-plane).
 */
export function startControlServer(shop: ControlledShop, port: number, extras: ControlExtras = {}): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    handle(shop, req, extras).then(
      ([status, body, headers]) => send(res, status, body, headers),
      (error: unknown) => send(res, 500, { error: error instanceof Error ? error.message : String(error) }),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

async function handle(
  shop: ControlledShop,
  req: http.IncomingMessage,
  extras: ControlExtras,
): Promise<[number, unknown, Record<string, string>?]> {
  const refusal = checkControlRequest(req, {
    token: shop.controlToken,
    tokenHint: `it is in ${shop.controlTokenFile}, and in the map link npm start printed`,
  });
  if (refusal) return [refusal.status, { error: refusal.message }, refusal.headers];
  const parts = new URL(req.url ?? '/', 'http://control').pathname.split('/').filter(Boolean);
  if (parts[0] === 'hosts') {
    if (parts.length !== 1 || req.method !== 'GET') return [405, { error: 'use GET /hosts' }];
    if (!extras.hosts) return [404, { error: 'this shop runs on one machine: no hosts (`npm run hosts -- shop` runs it on many)' }];
    return [200, await extras.hosts()];
  }
  if (parts[0] !== 'processes') return [404, { error: 'see GET /processes' }];
  if (parts.length === 1 && req.method === 'GET') return [200, shop.describe()];
  const process = shop.processes.get(parts[1] ?? '');
  if (!process) return [404, { error: `no process "${parts[1]}"; processes: ${[...shop.processes.keys()].join(', ')}` }];
  if (parts.length === 2 && req.method === 'GET') return [200, shop.describe().find((entry) => entry.name === parts[1])];
  if (parts.length !== 3 || req.method !== 'POST') return [405, { error: 'use POST /processes/:name/stop|start|kill|restart' }];
  const body = await readJsonBody(req);
  if (!body.ok) return [body.status, { error: body.message }];
  if (typeof body.value !== 'object' || body.value === null || Array.isArray(body.value))
    return [400, { error: 'the body must be a JSON object ({})' }];
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

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(`${JSON.stringify(body)}\n`);
}

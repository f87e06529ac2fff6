/**
 * Placeholder until the balancer issue lands: forwards every request on TENK_BALANCER_PORT to
 * the api instances named in TENK_BALANCER_UPSTREAMS (round-robin), so the shop can be reached
 * through one port. The real nginx-style balancer replaces this file.
 */
import http from 'node:http';
import { request } from 'undici';
import { loadConfig } from '@tenk/config';

const config = loadConfig();
const upstreams = (process.env['TENK_BALANCER_UPSTREAMS'] ?? `127.0.0.1:${config.services.apiPort}`).split(',');
let next = 0;

const server = http.createServer((req, res) => {
  const target = upstreams[next++ % upstreams.length];
  request(`http://${target}${req.url ?? '/'}`, {
    method: req.method as 'GET',
    headers: req.headers as Record<string, string>,
    body: req.method === 'GET' || req.method === 'HEAD' ? undefined : req,
  })
    .then(async (upstream) => {
      res.writeHead(upstream.statusCode, upstream.headers as http.OutgoingHttpHeaders);
      for await (const chunk of upstream.body) res.write(chunk);
      res.end();
    })
    .catch((error: unknown) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`502 Bad Gateway: ${target} failed: ${error instanceof Error ? error.message : String(error)}\n`);
    });
});

server.listen(config.services.balancerPort, '127.0.0.1', () => {
  console.log(JSON.stringify({ level: 'info', service: 'balancer', msg: `listening on :${config.services.balancerPort}`, upstreams }));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.on('SIGINT', () => server.close(() => process.exit(0)));

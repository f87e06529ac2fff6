import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LoadShedder, ShedPriority } from './load-shedder';

/**
 * The HTTP side of load shedding, on node's own request and response: put it before body
 * parsing and routing (an Express `app.use`, a Fastify `onRequest` hook on `request.raw` /
 * `reply.raw`), so a shed request costs a priority lookup and a short write. `priorityOf`
 * maps method and path to a priority (the app's own table).
 */
export function sheddingMiddleware(
  shedder: LoadShedder,
  priorityOf: (method: string, path: string) => ShedPriority,
): (req: IncomingMessage, res: ServerResponse, next: () => void) => void {
  const retryAfter = String(shedder.settings.retryAfterSeconds);
  const body = JSON.stringify({
    statusCode: 503,
    error: 'Service Unavailable',
    message: `this instance is at capacity right now; nothing was done, try again in ${retryAfter} s`,
    retryAfterSeconds: shedder.settings.retryAfterSeconds,
  });
  const length = String(Buffer.byteLength(body));
  return (req, res, next) => {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    if (!shedder.shouldShed(priorityOf(req.method ?? 'GET', query === -1 ? url : url.slice(0, query)))) return next();
    // The body (if any) is not read: close the connection after the answer rather than read it.
    if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) res.shouldKeepAlive = false;
    res.writeHead(503, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': length,
      'Retry-After': retryAfter,
      'X-Tenk-Shed': '1',
    });
    res.end(body);
  };
}

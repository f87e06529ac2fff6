import http from 'node:http';
import type { MailStore } from './mail-store';

/**
 * The sink's HTTP API, so tests and people can see what was sent:
 *   GET    /messages?to=ADDRESS&subject=TEXT   list (newest last), text/html left out
 *   GET    /messages/:id                       one message, parsed, with text and html
 *   GET    /messages/:id/raw                   the raw RFC 5322 message
 *   DELETE /messages                           forget every message
 *   GET    /health                             liveness
 */
export function createHttpApi(store: MailStore): http.Server {
  return http.createServer((req, res) => {
    handle(store, req, res).catch((error: unknown) => send(res, 500, { error: error instanceof Error ? error.message : String(error) }));
  });
}

async function handle(store: MailStore, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://sink');
  const parts = url.pathname.split('/').filter(Boolean);
  if (req.method === 'GET' && url.pathname === '/health') return send(res, 200, { status: 'ok' });
  if (parts[0] !== 'messages') return send(res, 404, { error: `no route ${req.method} ${url.pathname}; see GET /messages` });

  if (parts.length === 1 && req.method === 'GET') {
    const to = url.searchParams.get('to')?.toLowerCase();
    const subject = url.searchParams.get('subject')?.toLowerCase();
    const messages = (await store.list()).filter(
      (message) =>
        (!to || message.to.some((address) => address.toLowerCase() === to)) &&
        (!subject || message.subject.toLowerCase().includes(subject)),
    );
    return send(res, 200, messages);
  }
  if (parts.length === 1 && req.method === 'DELETE') return send(res, 200, { deleted: await store.clear() });
  if (parts.length === 2 && req.method === 'GET') {
    const message = await store.get(parts[1]);
    return message ? send(res, 200, message) : send(res, 404, { error: `no message ${parts[1]}` });
  }
  if (parts.length === 3 && parts[2] === 'raw' && req.method === 'GET') {
    const raw = await store.raw(parts[1]);
    if (!raw) return send(res, 404, { error: `no message ${parts[1]}` });
    res.writeHead(200, { 'content-type': 'message/rfc822' });
    res.end(raw);
    return;
  }
  send(res, 405, { error: `${req.method} is not supported on ${url.pathname}` });
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(`${JSON.stringify(body)}\n`);
}

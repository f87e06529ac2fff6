import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { isStorageError } from './errors';
import { LocalObjectStore } from './local-object-store';
import { sendObject } from './send-object';

describe('sendObject', () => {
  const body = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
  let root: string;
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'tenk-send-'));
    const store = new LocalObjectStore(root);
    await store.put('videos/v/720p.mp4', Readable.from([body]));
    server = http.createServer((req, res) => {
      const key = req.url === '/missing' ? 'videos/v/none.mp4' : 'videos/v/720p.mp4';
      sendObject(req, res, store, key, { cacheControl: 'private, max-age=60' }).catch((error: unknown) => {
        res.statusCode = isStorageError(error, 'not-found') ? 404 : 500;
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(root, { recursive: true, force: true });
  });

  it('sends the whole object with its type, length and Accept-Ranges', async () => {
    const response = await fetch(`${base}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('video/mp4');
    expect(response.headers.get('accept-ranges')).toBe('bytes');
    expect(response.headers.get('content-length')).toBe('1000');
    expect(response.headers.get('cache-control')).toBe('private, max-age=60');
    expect(Buffer.from(await response.arrayBuffer()).equals(body)).toBe(true);
  });

  it('answers a Range request with 206 and exactly those bytes (what a seeking player sends)', async () => {
    const response = await fetch(`${base}/`, { headers: { Range: 'bytes=100-199' } });
    expect(response.status).toBe(206);
    expect(response.headers.get('content-range')).toBe('bytes 100-199/1000');
    expect(response.headers.get('content-length')).toBe('100');
    expect(Buffer.from(await response.arrayBuffer()).equals(body.subarray(100, 200))).toBe(true);
    const tail = await fetch(`${base}/`, { headers: { Range: 'bytes=-10' } });
    expect(Buffer.from(await tail.arrayBuffer()).equals(body.subarray(990))).toBe(true);
  });

  it('answers a range past the end with 416 and the real size', async () => {
    const response = await fetch(`${base}/`, { headers: { Range: 'bytes=5000-' } });
    expect(response.status).toBe(416);
    expect(response.headers.get('content-range')).toBe('bytes */1000');
  });

  it('honours If-None-Match and If-Range with its ETag', async () => {
    const etag = (await fetch(`${base}/`, { method: 'HEAD' })).headers.get('etag')!;
    expect((await fetch(`${base}/`, { headers: { 'If-None-Match': etag } })).status).toBe(304);
    expect((await fetch(`${base}/`, { headers: { Range: 'bytes=0-9', 'If-Range': etag } })).status).toBe(206);
    // A client holding an older copy gets the whole new object instead of a mismatched piece.
    expect((await fetch(`${base}/`, { headers: { Range: 'bytes=0-9', 'If-Range': '"stale"' } })).status).toBe(200);
  });

  it('sends headers without a body for HEAD', async () => {
    const response = await fetch(`${base}/`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe('1000');
  });

  it('throws not-found before writing anything for a missing object', async () => {
    expect((await fetch(`${base}/missing`)).status).toBe(404);
  });
});

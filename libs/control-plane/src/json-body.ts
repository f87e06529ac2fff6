import type { IncomingMessage } from 'node:http';

export type JsonBody = { ok: true; value: unknown } | { ok: false; status: 400 | 413; message: string };

/**
 * A control call's JSON body (checkControlRequest has checked its Content-Type), for the
 * node:http control servers. An empty body is refused as well: a call says what it wants,
 * `{}` when there is nothing more to say.
 */
export function readJsonBody(req: IncomingMessage, maxBytes = 16 * 1024): Promise<JsonBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > maxBytes) {
        done = true;
        resolve({ ok: false, status: 413, message: `the body is larger than ${maxBytes} bytes` });
        // The rest is read and dropped, so the refusal can still be sent on this connection.
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      const text = Buffer.concat(chunks).toString('utf8').trim();
      if (text === '')
        return resolve({ ok: false, status: 400, message: 'the body is empty: send a JSON object ({} when there is nothing to say)' });
      try {
        resolve({ ok: true, value: JSON.parse(text) as unknown });
      } catch (error) {
        resolve({ ok: false, status: 400, message: `the body is not valid JSON (${(error as Error).message})` });
      }
    });
    req.on('error', reject);
  });
}

import { createHash } from 'node:crypto';
import http, { type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export interface WebSocketEchoServer {
  port: number;
  /** X-Forwarded-For of each upgrade request seen. */
  forwardedFor: string[];
  close(): Promise<void>;
}

/**
 * A minimal RFC 6455 server for the tests (no dependency): completes the handshake, answers
 * each text frame with "echo: <text>" and each close frame with a close frame.
 */
export async function startWebSocketEchoServer(): Promise<WebSocketEchoServer> {
  const sockets = new Set<Socket>();
  const forwardedFor: string[] = [];
  const server = http.createServer((_req, res) => {
    res.writeHead(426);
    res.end();
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    forwardedFor.push(String(req.headers['x-forwarded-for'] ?? ''));
    const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}${GUID}`).digest('base64');
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        if (buffered.length < 2) return;
        const opcode = buffered[0] & 0x0f;
        let length = buffered[1] & 0x7f;
        let offset = 2;
        if (length === 126) {
          length = buffered.readUInt16BE(2);
          offset = 4;
        } else if (length === 127) {
          length = Number(buffered.readBigUInt64BE(2));
          offset = 10;
        }
        const masked = (buffered[1] & 0x80) !== 0;
        const frameEnd = offset + (masked ? 4 : 0) + length;
        if (buffered.length < frameEnd) return;
        const mask = masked ? buffered.subarray(offset, offset + 4) : null;
        const payload = Buffer.from(buffered.subarray(frameEnd - length, frameEnd));
        if (mask) for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i % 4];
        buffered = buffered.subarray(frameEnd);
        if (opcode === 0x1) socket.write(frame(0x1, Buffer.from(`echo: ${payload.toString()}`)));
        if (opcode === 0x8) {
          socket.end(frame(0x8, payload.subarray(0, 2)));
          return;
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    forwardedFor,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function frame(opcode: number, payload: Buffer): Buffer {
  const header =
    payload.length < 126
      ? Buffer.from([0x80 | opcode, payload.length])
      : Buffer.from([0x80 | opcode, 126, payload.length >> 8, payload.length & 0xff]);
  return Buffer.concat([header, payload]);
}

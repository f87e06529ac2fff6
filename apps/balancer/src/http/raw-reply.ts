import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * An HTTP answer written straight to a socket, where there is no ServerResponse: a refused or
 * failed upgrade, a request Node could not parse. `extra` holds more header lines, each
 * ending in CRLF. The connection closes after it.
 */
export function rawReply(socket: Duplex, status: number, reason: string, extra = ''): void {
  const body = `${status} ${STATUS_CODES[status] ?? ''}: ${reason}\n`;
  if (socket.writable) {
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}Connection: close\r\n\r\n${body}`,
    );
  } else {
    socket.destroy();
  }
}

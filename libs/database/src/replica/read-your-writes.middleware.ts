import { Injectable, NestMiddleware } from '@nestjs/common';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseCookies } from 'cookie';
import { InjectConfig, type TenkConfig } from '@tenk/config';
import { setCookie } from '@tenk/observability';
import { ConsistencyScope, ReadYourWrites } from './read-your-writes';
import { formatLsn, maxLsn, parseLsn } from './wal-lsn';

/** Holds the WAL position of the client's last write (HttpOnly; it means nothing to scripts). */
export const WRITE_LSN_COOKIE = 'tenk_lsn';
/** The same position for clients without a cookie jar: sent back on writes, accepted on reads. */
export const WRITE_LSN_HEADER = 'x-tenk-lsn';

/**
 * Opens a ConsistencyScope for each request from the client's token (cookie or header; the
 * later position wins) and, when the request writes, hands the new position back in both. Any
 * api instance can serve the next read: the token travels with the client, not the instance.
 */
@Injectable()
export class ReadYourWritesMiddleware implements NestMiddleware {
  readonly #ttlMs: number;
  readonly #secure: boolean;

  constructor(@InjectConfig() config: TenkConfig) {
    this.#ttlMs = config.dataRouting.replica.writeTokenTtlMs;
    this.#secure = config.services.publicUrl.startsWith('https:');
  }

  use(req: IncomingMessage, res: ServerResponse, next: () => void): void {
    const header = req.headers[WRITE_LSN_HEADER];
    const fromHeader = parseLsn(Array.isArray(header) ? header[0] : header);
    const fromCookie = parseLsn(readCookie(req, WRITE_LSN_COOKIE));
    const scope = new ConsistencyScope(maxLsn(fromHeader, fromCookie), (lsn) => {
      if (res.headersSent) return;
      const value = formatLsn(lsn);
      res.setHeader('X-Tenk-Lsn', value);
      setCookie(res, WRITE_LSN_COOKIE, value, { httpOnly: true, sameSite: 'lax', secure: this.#secure, path: '/', maxAgeMs: this.#ttlMs });
    });
    ReadYourWrites.run(scope, () => next());
  }
}

/** The named cookie (the `cookie` package: a value that is not valid percent-encoding is kept as sent, never thrown). */
function readCookie(req: { headers: IncomingHttpHeaders }, name: string): string | undefined {
  const header = req.headers.cookie;
  return header ? parseCookies(header)[name] : undefined;
}

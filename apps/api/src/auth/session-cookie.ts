import { parse } from 'cookie';
import type { IncomingHttpHeaders } from 'node:http';
import { clearCookie, setCookie, type AnyResponse } from '@tenk/observability';

export const SESSION_COOKIE = 'tenk_session';

/**
 * The session token from the Cookie header, if any. Parsed by `cookie`, which never throws: a
 * value that is not valid percent-encoding (`%`, `%E0%A4%A`) comes back as written, and the
 * session store then finds no session for it. So a malformed cookie means "no session", never
 * an error.
 */
export function readSessionCookie(req: { headers: IncomingHttpHeaders }): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  return parse(header)[SESSION_COOKIE];
}

/**
 * HttpOnly (no script reads it), SameSite=Lax (other sites' POSTs do not carry it), Secure on
 * https. It lives as long as the session's absolute lifetime; the server ends it sooner when
 * it is idle (SessionStore).
 */
export function writeSessionCookie(res: AnyResponse, token: string, secure: boolean, maxAgeMs: number): void {
  setCookie(res, SESSION_COOKIE, token, { httpOnly: true, sameSite: 'lax', secure, path: '/', maxAgeMs });
}

export function clearSessionCookie(res: AnyResponse, secure: boolean): void {
  clearCookie(res, SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', secure, path: '/' });
}

import type { IncomingHttpHeaders } from 'node:http';

/** Methods that change state: only these are checked (GET and HEAD must never change anything). */
export const STATE_CHANGING_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Whether a state-changing request comes from another site, as a browser tells it: a reason to
 * refuse it (403), or undefined when it may go on. The rule of Go's CrossOriginProtection:
 * - an Origin that is the shop's public origin (TENK_PUBLIC_URL) is ours;
 * - otherwise the browser's own `Sec-Fetch-Site` decides: `same-origin` (the shop's page,
 *   whatever name it was opened under) and `none` (typed by the user) pass, `same-site` (another
 *   port of 127.0.0.1 is the same *site*, so SameSite=Lax cookies go along) and `cross-site` do not;
 * - a browser without Sec-Fetch-Site still sends Origin: it must name the Host it was sent to;
 * - no Origin and no Sec-Fetch-Site: not a browser (curl, the load tool), which forges nothing.
 * Scripts on other sites cannot set either header, so this stops cross-site form posts and
 * `fetch(..., {mode: 'no-cors'})` calls riding on the visitor's cookie (CSRF), sign-in included.
 */
export function crossSiteRefusal(headers: IncomingHttpHeaders, publicOrigin: string): string | undefined {
  const origin = headers.origin;
  if (origin === publicOrigin) return undefined;
  const site = single(headers['sec-fetch-site']);
  if (site !== undefined) {
    if (site === 'same-origin' || site === 'none') return undefined;
    return `refused a request from another site (Sec-Fetch-Site: ${site}${origin ? `, Origin: ${origin}` : ''}): only the shop's own pages (${publicOrigin}) may change anything`;
  }
  if (origin === undefined) return undefined;
  if (hostOf(origin) !== undefined && hostOf(origin) === headers.host?.toLowerCase()) return undefined;
  return `refused a request from another site (Origin: ${origin}): only the shop's own pages (${publicOrigin}) may change anything`;
}

/** `Content-Type: application/json; charset=utf-8` -> `application/json`. */
export function mediaTypeOf(headers: IncomingHttpHeaders): string | undefined {
  const type = headers['content-type']?.split(';')[0].trim().toLowerCase();
  return type ? type : undefined;
}

/** A request has a body when it says how long it is (more than 0) or that it is chunked. */
export function hasBody(headers: IncomingHttpHeaders): boolean {
  const length = headers['content-length'];
  return (length !== undefined && length !== '0') || headers['transfer-encoding'] !== undefined;
}

/** Whether `type` matches one of `accepted` (`video/*` matches any video type). */
export function acceptsMediaType(accepted: readonly string[], type: string): boolean {
  return accepted.some((pattern) => (pattern.endsWith('/*') ? type.startsWith(pattern.slice(0, -1)) : type === pattern));
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host.toLowerCase();
  } catch {
    return undefined; // `null` (a sandboxed frame, a file: page) or garbage: never ours
  }
}

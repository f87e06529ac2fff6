/**
 * What counts against a peer's health (max_fails), beyond nginx's rules.
 *
 * nginx counts every connection error and every timeout, and every status that
 * proxy_next_upstream names (except 403/404), as an unsuccessful attempt. Under load that
 * turns "slow" into "dead": an instance busy enough to miss proxy_read_timeout, or one that
 * sheds load with 503, is taken out, its share lands on the others, they slow down too, and
 * soon every peer is out. tenk therefore tells apart:
 *   - an unreachable peer (connection refused or reset, connect timeout, an invalid answer):
 *     counts, as in nginx;
 *   - a slow peer (no answer within proxy_read_timeout after it accepted the request):
 *     retried per `timeout`, answered 504 otherwise, but not counted unless the upstream says
 *     `fail_on_read_timeout on;` (nginx's behaviour). A peer that hangs for good is the active
 *     health check's to find (its readiness check stops answering);
 *   - a busy peer (503 with Retry-After: the standard "alive, come back later"): retried on
 *     another peer where `http_503` is listed (never a POST that reached it), never counted.
 *     A 503 without Retry-After counts as nginx counts it.
 */

/** undici's codes for "the peer took the request but did not answer in time". */
export function isReadTimeout(error: Error): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
}

/** A 503 that carries Retry-After: the peer is alive and busy, not failing. */
export function isBusyAnswer(statusCode: number, rawHeaders: readonly Buffer[] | readonly string[]): boolean {
  if (statusCode !== 503) return false;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    // "retry-after" is 11 bytes; compare case-insensitively without making a string per header.
    if (name.length === 11 && (typeof name === 'string' ? name : name.toString('latin1')).toLowerCase() === 'retry-after') return true;
  }
  return false;
}

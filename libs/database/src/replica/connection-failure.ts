/**
 * Whether an error means "this server could not serve the query" (connection refused, reset or
 * timed out, server shutting down, a standby cancelling the query to replay WAL) rather than
 * "the query is wrong": only the first kind is worth retrying elsewhere.
 */
export function isConnectionFailure(error: unknown): boolean {
  const candidates = [error, (error as { driverError?: unknown } | undefined)?.driverError];
  for (const candidate of candidates) {
    if (typeof candidate !== 'object' || candidate === null) continue;
    // A FATAL error ends the server session: the connection is gone, whatever the code (e.g.
    // 55000 "database is not currently accepting connections").
    if ((candidate as { severity?: unknown }).severity === 'FATAL') return true;
    const code = (candidate as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (NETWORK_CODES.has(code) || code.startsWith('08') || SERVER_CODES.has(code)) return true;
    }
    const message = (candidate as { message?: unknown }).message;
    if (typeof message === 'string' && CONNECTION_MESSAGES.test(message)) return true;
  }
  return false;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** admin_shutdown, crash_shutdown, cannot_connect_now, serialization failure (recovery conflict), too_many_connections. */
const SERVER_CODES = new Set(['57P01', '57P02', '57P03', '40001', '53300']);
const CONNECTION_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Connection ended unexpectedly|Client has encountered a connection error|connect ECONNREFUSED/i;

/**
 * The PostgreSQL SQLSTATE of an error (`23505`, `55P03`, ...), from the error itself or the
 * driver error TypeORM wraps; undefined when there is none (a network error, not an error).
 */
export function sqlState(error: unknown): string | undefined {
  for (const candidate of [error, (error as { driverError?: unknown } | undefined)?.driverError]) {
    const code = (candidate as { code?: unknown } | undefined)?.code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

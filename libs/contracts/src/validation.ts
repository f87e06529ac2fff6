const CONTRACT_ERROR = Symbol.for('tenk.ContractError');

/** A payload that does not match its contract; the message names the field. */
export class ContractError extends Error {
  readonly [CONTRACT_ERROR] = true;

  constructor(message: string) {
    super(message);
    this.name = 'ContractError';
  }
}

export function isContractError(error: unknown): error is ContractError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[CONTRACT_ERROR] === true;
}

export function expectObject(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ContractError(`${field}: expected an object`);
  return value as Record<string, unknown>;
}

export function expectString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new ContractError(`${field}: expected a non-empty string`);
  return value;
}

const ISO_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** An ISO 8601 date-time with its offset (as `Date.toISOString()` writes) on a real calendar day. */
export function expectTimestamp(value: unknown, field: string): string {
  const match = typeof value === 'string' ? ISO_TIMESTAMP.exec(value) : null;
  const [year, month, day] = match ? [Number(match[1]), Number(match[2]), Number(match[3])] : [0, 0, 0];
  const calendarDay = new Date(Date.UTC(year, month - 1, day));
  if (!match || calendarDay.getUTCMonth() !== month - 1 || calendarDay.getUTCDate() !== day) {
    throw new ContractError(`${field}: expected an ISO 8601 date-time such as 2026-11-28T12:00:00.000Z`);
  }
  return value as string;
}

export function expectInteger(value: unknown, field: string, min = Number.MIN_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min)
    throw new ContractError(`${field}: expected a whole number >= ${min}`);
  return value;
}

export function expectArray(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value)) throw new ContractError(`${field}: expected an array`);
  return value;
}

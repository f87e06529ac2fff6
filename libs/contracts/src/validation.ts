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

export function expectInteger(value: unknown, field: string, min = Number.MIN_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) throw new ContractError(`${field}: expected a whole number >= ${min}`);
  return value;
}

export function expectArray(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value)) throw new ContractError(`${field}: expected an array`);
  return value;
}

const STORAGE_ERROR = Symbol.for('tenk.StorageError');

type StorageErrorCode = 'invalid-key' | 'not-found' | 'too-large';

/** A storage failure the caller can act on; `code` says which. */
export class StorageError extends Error {
  readonly [STORAGE_ERROR] = true;

  constructor(
    readonly code: StorageErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StorageError';
  }
}

export class ObjectKeyError extends StorageError {
  constructor(key: string, problem: string) {
    super('invalid-key', `invalid storage key ${JSON.stringify(key)}: ${problem}`);
    this.name = 'ObjectKeyError';
  }
}

export class ObjectNotFoundError extends StorageError {
  constructor(readonly key: string) {
    super('not-found', `no object ${key} in storage`);
    this.name = 'ObjectNotFoundError';
  }
}

export class ObjectTooLargeError extends StorageError {
  constructor(
    readonly key: string,
    readonly maxBytes: number,
  ) {
    super('too-large', `${key} is larger than the ${maxBytes}-byte limit`);
    this.name = 'ObjectTooLargeError';
  }
}

export function isStorageError(error: unknown, code?: StorageErrorCode): error is StorageError {
  if (typeof error !== 'object' || error === null || (error as Record<symbol, unknown>)[STORAGE_ERROR] !== true) return false;
  return code === undefined || (error as StorageError).code === code;
}

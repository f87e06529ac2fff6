/**
 * One Idempotency-Key per checkout of one cart: a double click, a retry after a timeout or a
 * reload of the page sends the same key, so the api makes one order. A changed cart gets a
 * new key (the api answers 422 to an old key with a different body).
 */
const STORAGE_KEY = 'tenk.checkout';

interface StoredKey {
  key: string;
  fingerprint: string;
}

export function checkoutKey(storage: Pick<Storage, 'getItem' | 'setItem'>, fingerprint: string, newKey: () => string = randomKey): string {
  const stored = read(storage);
  if (stored && stored.fingerprint === fingerprint) return stored.key;
  const key = newKey();
  storage.setItem(STORAGE_KEY, JSON.stringify({ key, fingerprint } satisfies StoredKey));
  return key;
}

/** After the order is made (or the api refused the key), the next checkout starts afresh. */
export function forgetCheckoutKey(storage: Pick<Storage, 'removeItem'>): void {
  storage.removeItem(STORAGE_KEY);
}

function read(storage: Pick<Storage, 'getItem'>): StoredKey | undefined {
  try {
    const value = JSON.parse(storage.getItem(STORAGE_KEY) ?? 'null') as Partial<StoredKey> | null;
    return value && typeof value.key === 'string' && typeof value.fingerprint === 'string' ? (value as StoredKey) : undefined;
  } catch {
    return undefined;
  }
}

/** A random UUID v4 from getRandomValues (randomUUID exists only on https or localhost). */
export function randomKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

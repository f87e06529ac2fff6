import { PASSWORD_HASH_THREADS, PasswordHashPool } from './password-hash-pool';

/**
 * bcrypt (bcryptjs: pure JavaScript, so no native build can break an install), cost 10: about
 * 90 ms per hash on this machine, slow on purpose, and so run on worker threads
 * (PasswordHashPool), never on the event loop. bcrypt reads at most 72 bytes, so signup
 * refuses longer passwords rather than silently ignoring their end.
 */
const COST = 10;
export const MAX_PASSWORD_BYTES = 72;
/** Hashes waiting for a thread beyond this many are refused: at ~90 ms each, seconds of work. */
const MAX_WAITING = 200;

const pool = new PasswordHashPool(PASSWORD_HASH_THREADS, MAX_WAITING);

export function hashPassword(password: string): Promise<string> {
  return pool.hash(password, COST);
}

export function verifyPassword(hash: string, password: string): Promise<boolean> {
  return pool.compare(password, hash);
}

/**
 * A real hash of a password nobody has, checked when the email is unknown, so a login for an
 * unknown account takes as long as one for a known account (no user enumeration by timing).
 */
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(`decoy-${Date.now()}-${process.pid}`);
  // A failed first try (a hashing thread that died) is not kept: the next call makes another.
  decoy.catch(() => (decoy = undefined));
  return decoy;
}

import bcrypt from 'bcryptjs';

/**
 * bcrypt (bcryptjs: pure JavaScript, so no native build can break an install), cost 10: about
 * 90 ms per hash on this machine, slow on purpose. bcrypt reads at most 72 bytes, so signup
 * refuses longer passwords rather than silently ignoring their end.
 */
const COST = 10;
export const MAX_PASSWORD_BYTES = 72;

export function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, COST);
}

export function verifyPassword(hash: string, password: string): Promise<boolean> {
  return bcrypt.compare(password, hash);
}

/**
 * A real hash of a password nobody has, checked when the email is unknown, so a login for an
 * unknown account takes as long as one for a known account (no user enumeration by timing).
 */
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(`decoy-${Date.now()}-${process.pid}`);
  return decoy;
}

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The variable that hands a control token to a process (the launcher sets it for its children). */
export const CONTROL_TOKEN_VARIABLE = 'TENK_CONTROL_TOKEN';

const MIN_LENGTH = 24;
const MAX_LENGTH = 256;
/** RFC 6750's token68 characters: what fits in `Authorization: Bearer ...` as it is. */
const TOKEN_CHARACTERS = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * Where a shop's token is kept: `<state>/control-token` for `npm start` (and what a control
 * server started on its own reads), `<state>/control-token-<name>` for a named shop (`e2e`,
 * `lab`), so a test or lab run never replaces the token of the shop you are looking at.
 */
export function controlTokenFile(stateDir: string, shopName?: string): string {
  return path.join(stateDir, shopName ? `control-token-${shopName}` : 'control-token');
}

/** A new secret: 24 random bytes as 48 hex characters (what Jupyter uses for its tokens). */
export function createControlToken(): string {
  return randomBytes(24).toString('hex');
}

/** The token itself, checked; throws naming `source` when it is too short or cannot be sent in a header. */
export function checkTokenFormat(token: string, source: string): string {
  if (token.length < MIN_LENGTH)
    throw new Error(
      `${source}: the control token is ${token.length} characters long; use at least ${MIN_LENGTH} (e.g. \`openssl rand -hex 24\`)`,
    );
  if (token.length > MAX_LENGTH) throw new Error(`${source}: the control token is longer than ${MAX_LENGTH} characters`);
  if (!TOKEN_CHARACTERS.test(token))
    throw new Error(`${source}: the control token may hold only letters, digits and - . _ ~ + / (then = padding)`);
  return token;
}

/**
 * Compares a presented token with the expected one in constant time: both are hashed first,
 * so neither the length nor the first differing character shows in how long the answer takes.
 */
export function tokenMatches(expected: string, presented: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(expected), digest(presented));
}

/** Writes (or replaces) a token file, readable by its owner only (mode 0600), in one rename. */
export function writeControlTokenFile(file: string, token: string): void {
  checkTokenFormat(token, file);
  mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${token}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, file);
}

/** Reads a token file; refuses one that other users can read (a secret they could use). */
export function readControlTokenFile(file: string): string {
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0)
    throw new Error(
      `${file} can be read by other users (mode ${mode.toString(8)}): \`chmod 600 ${file}\`, or delete it and a new token is made`,
    );
  return checkTokenFormat(readFileSync(file, 'utf8').trim(), file);
}

export interface ResolvedControlToken {
  token: string;
  /** `TENK_CONTROL_TOKEN`, or the token file's path. */
  source: string;
  /** Whether the token file was made just now (nothing had one yet). */
  created: boolean;
}

/**
 * The token of a control server started on its own (`npm run balancer`, `npm run
 * payment-sim`, the map): TENK_CONTROL_TOKEN when set (the launcher sets it for the processes
 * it starts), else `<state>/control-token` (npm start's, or one made by an earlier start),
 * else a new token written there (mode 0600), as Jupyter makes one when given none.
 */
export function resolveControlToken(options: { env?: Record<string, string | undefined>; stateDir: string }): ResolvedControlToken {
  const fromEnv = (options.env ?? process.env)[CONTROL_TOKEN_VARIABLE]?.trim();
  if (fromEnv) return { token: checkTokenFormat(fromEnv, CONTROL_TOKEN_VARIABLE), source: CONTROL_TOKEN_VARIABLE, created: false };
  const file = controlTokenFile(options.stateDir);
  if (existsSync(file)) return { token: readControlTokenFile(file), source: file, created: false };
  const token = createControlToken();
  // Created beside the file and linked into place: two servers starting at once end up with
  // the same token (the second link fails and that server reads the first one's file).
  mkdirSync(options.stateDir, { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${token}\n`, { mode: 0o600 });
  try {
    linkSync(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { token: readControlTokenFile(file), source: file, created: false };
  } finally {
    rmSync(temporary, { force: true });
  }
  return { token, source: file, created: true };
}

import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { formatStackSecrets, readStackSecrets, STACK_SECRET_VARIABLES, stackSecretsPath, type StackSecretVariable } from '@tenk/config';

/**
 * This machine's stack passwords (`.tenk/secrets.env`, mode 0600): made on the first `up`,
 * kept afterwards (a lost file means a new password, which `up` applies again). A file from an
 * older tools/infra that lacks a variable gets it added; one readable by others is made 0600.
 */
export function ensureStackSecrets(stateDir: string, log: (line: string) => void): void {
  const file = stackSecretsPath(stateDir);
  const existing = readStackSecrets(stateDir);
  const missing = STACK_SECRET_VARIABLES.filter((name) => existing[name] === undefined);
  if (missing.length > 0) {
    mkdirSync(stateDir, { recursive: true });
    const values = Object.fromEntries(STACK_SECRET_VARIABLES.map((name) => [name, existing[name] ?? newPassword()])) as Record<
      StackSecretVariable,
      string
    >;
    writeFileSync(file, formatStackSecrets(values), { mode: 0o600 });
    log(`generated ${missing.join(' and ')} for this machine into ${file} (mode 0600)`);
  }
  if (existsSync(file) && (statSync(file).mode & 0o077) !== 0) {
    chmodSync(file, 0o600);
    log(`${file} was readable by others: made it 0600`);
  }
}

/** 48 hex digits: safe unquoted in every syntax it lands in (redis.conf, a libpq conninfo, SQL, env files). */
function newPassword(): string {
  return randomBytes(24).toString('hex');
}

import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The local stack's passwords, generated once per machine by tools/infra (`npm run infra --
 * up`) into `<TENK_STATE_DIR>/secrets.env`, mode 0600: one for PostgreSQL (the shop's role and
 * the replication role), one for both Redis servers. loadConfig reads them as defaults of
 * these variables, so every client on this machine sends them; a variable set in the
 * environment (or its `_FILE`) wins. No file (a stack from before, not yet upgraded by `infra
 * up`): no Redis password, PostgreSQL's old fixed one.
 */
export const STACK_SECRETS_FILE = 'secrets.env';
export const STACK_SECRET_VARIABLES = ['TENK_PG_PASSWORD', 'TENK_REDIS_PASSWORD'] as const;
export type StackSecretVariable = (typeof STACK_SECRET_VARIABLES)[number];

export function stackSecretsPath(stateDir: string): string {
  return path.join(stateDir, STACK_SECRETS_FILE);
}

/** The file's `NAME=value` lines for the known variables; empty when there is no file. */
export function readStackSecrets(stateDir: string): Partial<Record<StackSecretVariable, string>> {
  let text: string;
  try {
    text = readFileSync(stackSecretsPath(stateDir), 'utf8');
  } catch {
    return {};
  }
  return parseStackSecrets(text);
}

export function parseStackSecrets(text: string): Partial<Record<StackSecretVariable, string>> {
  const values: Partial<Record<StackSecretVariable, string>> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z_]+)=(.+)$/.exec(line.trim());
    if (match && (STACK_SECRET_VARIABLES as readonly string[]).includes(match[1])) values[match[1] as StackSecretVariable] = match[2];
  }
  return values;
}

export function formatStackSecrets(values: Record<StackSecretVariable, string>): string {
  return [
    "# This machine's stack passwords, written once by tools/infra (npm run infra -- up). Mode 0600.",
    '# Every tenk process reads them through libs/config; a TENK_* variable set in the environment wins.',
    ...STACK_SECRET_VARIABLES.map((name) => `${name}=${values[name]}`),
    '',
  ].join('\n');
}

/** The environment with the stack's passwords filled in where neither NAME nor NAME_FILE is set. */
export function withStackSecrets(env: Record<string, string | undefined>, stateDir: string): Record<string, string | undefined> {
  const secrets = readStackSecrets(stateDir);
  const filled: Record<string, string | undefined> = { ...env };
  for (const name of STACK_SECRET_VARIABLES) {
    const value = secrets[name];
    if (value !== undefined && !env[name] && !env[`${name}_FILE`]) filled[name] = value;
  }
  return filled;
}

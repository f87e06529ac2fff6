import { parseArgs } from 'node:util';

export class UsageError extends Error {}

export interface AdminArgs {
  command: string | undefined;
  email?: string;
  name?: string;
}

/**
 * `create|promote|list [--email E] [--name N]`, parsed by node:util's parseArgs (strict: an
 * unknown or misspelt option, a missing value or a stray argument is a usage error, not
 * silently ignored; `--email=x` works too).
 */
export function parseAdminArgs(argv: string[]): AdminArgs {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { email: { type: 'string' }, name: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
    return { command: positionals[0], email: values.email, name: values.name };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

export function requireEmail(args: AdminArgs): string {
  const email = args.email;
  if (!email) throw new UsageError('--email is required');
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) throw new UsageError(`"${email}" is not an email address`);
  return email;
}

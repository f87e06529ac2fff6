/**
 * Admin accounts, from the command line: there is no default password anywhere.
 *   npm run admin -- create --email you@example.com [--name "Your Name"]
 *   npm run admin -- promote --email someone@example.com     an existing customer becomes admin
 *   npm run admin -- list                                    the admin accounts
 * `create` reads the password from TENK_ADMIN_PASSWORD if set, otherwise from standard input
 * (typed at a prompt without echo, or piped: `echo 'long password' | npm run admin -- create ...`).
 */
import { createInterface } from 'node:readline';
import type { DataSource } from 'typeorm';
import { createAccount, EmailTakenError, listAccounts, MAX_PASSWORD_BYTES, setAccountRole, User } from '@tenk/accounts';
import { isConfigError, loadConfig, type TenkConfig } from '@tenk/config';
import { createCatalogDataSource } from '@tenk/database';
import { parseAdminArgs, requireEmail, UsageError, type AdminArgs } from './args';

const USAGE = [
  'usage: npm run admin -- create --email you@example.com [--name "Your Name"]',
  '       npm run admin -- promote --email someone@example.com',
  '       npm run admin -- list',
].join('\n');

async function readPassword(): Promise<string> {
  const fromEnv = process.env['TENK_ADMIN_PASSWORD'];
  if (fromEnv) return fromEnv;
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
  if (process.stdin.isTTY) {
    // Hide what is typed: print nothing for each key press.
    (rl as unknown as { _writeToOutput: (text: string) => void })._writeToOutput = (text: string) => {
      if (text.includes('Password')) process.stdout.write(text);
    };
  }
  const answer = await new Promise<string>((resolve) => rl.question('Password (10-72 characters): ', resolve));
  rl.close();
  if (process.stdin.isTTY) process.stdout.write('\n');
  return answer.trim();
}

async function withCatalog<T>(config: TenkConfig, work: (db: DataSource) => Promise<T>): Promise<T> {
  const db = createCatalogDataSource(config, 'primary', [User], 'admin-cli');
  await db.initialize();
  try {
    return await work(db);
  } finally {
    await db.destroy();
  }
}

async function create(config: TenkConfig, args: AdminArgs): Promise<number> {
  const email = requireEmail(args);
  const password = await readPassword();
  if (password.length < 10 || Buffer.byteLength(password) > MAX_PASSWORD_BYTES) {
    throw new UsageError(`the password must be 10 to 72 characters long (${MAX_PASSWORD_BYTES} bytes at most)`);
  }
  return withCatalog(config, async (db) => {
    try {
      const admin = await createAccount(db, { email, name: args.name ?? email.split('@')[0], password, role: 'admin' });
      process.stdout.write(`created admin ${admin.email} (id ${admin.id}); sign in at ${config.services.publicUrl}/#/signin\n`);
      return 0;
    } catch (error) {
      if (!(error instanceof EmailTakenError)) throw error;
      process.stderr.write(`${error.message}; to make that account an admin: npm run admin -- promote --email ${email}\n`);
      return 1;
    }
  });
}

async function promote(config: TenkConfig, args: AdminArgs): Promise<number> {
  const email = requireEmail(args);
  return withCatalog(config, async (db) => {
    const account = await setAccountRole(db, email, 'admin');
    if (!account) {
      process.stderr.write(`no account for ${email}; create one with: npm run admin -- create --email ${email}\n`);
      return 1;
    }
    // Sessions carry the role they were created with: the new role applies from the next sign-in.
    process.stdout.write(
      `${account.email} is an admin now (id ${account.id}); sign out and in again at ${config.services.publicUrl}/#/signin\n`,
    );
    return 0;
  });
}

async function list(config: TenkConfig): Promise<number> {
  return withCatalog(config, async (db) => {
    const admins = await listAccounts(db, 'admin');
    if (admins.length === 0)
      process.stdout.write('no admin accounts yet; create one with: npm run admin -- create --email you@example.com\n');
    for (const admin of admins)
      process.stdout.write(`${admin.email}\t${admin.name}\t${admin.id}\tsince ${admin.createdAt.toISOString()}\n`);
    return 0;
  });
}

async function main(): Promise<number> {
  try {
    const args = parseAdminArgs(process.argv.slice(2));
    switch (args.command) {
      case 'create':
        return await create(loadConfig(), args);
      case 'promote':
        return await promote(loadConfig(), args);
      case 'list':
        return await list(loadConfig());
      default:
        throw new UsageError(args.command ? `unknown command "${args.command}"` : 'a command is required');
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n${USAGE}\n`);
    return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`admin: ${isConfigError(error) || error instanceof Error ? (error as Error).message : String(error)}\n`);
    process.exit(1);
  },
);

/**
 * Creates an admin account: there is no default password anywhere.
 *   npm run admin -- create --email you@example.com [--name "Your Name"]
 * The password is read from TENK_ADMIN_PASSWORD if set, otherwise from standard input (typed
 * at a prompt without echo, or piped: `echo 'long password' | npm run admin -- create ...`).
 */
import { createInterface } from 'node:readline';
import { createAccount, EmailTakenError, MAX_PASSWORD_BYTES, User } from '@tenk/accounts';
import { isConfigError, loadConfig } from '@tenk/config';
import { createCatalogDataSource } from '@tenk/database';

function option(args: string[], name: string): string | undefined {
  const index = args.indexOf(`--${name}`);
  return index === -1 ? undefined : args[index + 1];
}

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

async function main(): Promise<number> {
  const [command, ...args] = process.argv.slice(2);
  const email = option(args, 'email');
  if (command !== 'create' || !email) {
    process.stderr.write('usage: npm run admin -- create --email you@example.com [--name "Your Name"]\n');
    return 2;
  }
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
    process.stderr.write(`"${email}" is not an email address\n`);
    return 2;
  }
  const password = await readPassword();
  if (password.length < 10 || Buffer.byteLength(password) > MAX_PASSWORD_BYTES) {
    process.stderr.write(`the password must be 10 to 72 characters long (${MAX_PASSWORD_BYTES} bytes at most)\n`);
    return 2;
  }
  const config = loadConfig();
  const db = createCatalogDataSource(config, 'primary', [User], 'admin-cli');
  await db.initialize();
  try {
    const admin = await createAccount(db, { email, name: option(args, 'name') ?? email.split('@')[0], password, role: 'admin' });
    process.stdout.write(`created admin ${admin.email} (id ${admin.id}); sign in at ${config.services.publicUrl}/\n`);
    return 0;
  } catch (error) {
    if (error instanceof EmailTakenError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    await db.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`admin: ${isConfigError(error) || error instanceof Error ? (error as Error).message : String(error)}\n`);
    process.exit(1);
  },
);

// Plain JavaScript with no dependencies: it runs before node_modules exists. Installs the
// exact dependency tree of package-lock.json (npm ci) when node_modules is missing or was
// installed from another lock file, then records the lock file's hash.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function checkNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 19)) {
    console.error(`tenk needs Node.js 20.19 or newer (this is ${process.version}).`);
    process.exit(1);
  }
}

export function ensureDependencies() {
  checkNode();
  const lock = path.join(ROOT, 'package-lock.json');
  const stamp = path.join(ROOT, 'node_modules', '.tenk-lock-hash');
  const hash = createHash('sha256').update(readFileSync(lock)).digest('hex');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === hash) return;
  const started = Date.now();
  console.log('==> Installing dependencies (npm ci; about 1-2 minutes the first time)');
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=warn'], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, NX_NO_CLOUD: 'true' },
  });
  if (result.status !== 0) {
    console.error('npm ci failed; see the output above.');
    process.exit(result.status ?? 1);
  }
  writeFileSync(stamp, `${hash}\n`);
  console.log(`    done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/**
 * Runs a TypeScript entry point of the workspace and exits with its code. Signals are passed
 * on, so Ctrl-C or a SIGTERM reach the child, which stops cleanly.
 */
export function runTs(entry, args = []) {
  const child = spawn(process.execPath, ['-r', path.join(ROOT, 'tools/register.cjs'), path.join(ROOT, entry), ...args], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + 2 : 1)));
}

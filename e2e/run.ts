/**
 * `npm run e2e -- [pattern]`: the e2e suites alone (e.g. `npm run e2e -- drills`), against
 * the stack tools/infra runs. Builds first so the shop runs the code you have.
 * `npm run e2e -- compose [--scale N]` is `npm run compose -- test [--scale N]`.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '..');
const register = ['-r', path.join(root, 'tools/register.cjs')];
// `npm run e2e -- compose`: the compose suite alone, as `npm run compose -- test` runs it (its
// shop and stack are containers: no build here, no tools/infra stack, no e2e shop).
if (process.argv[2] === 'compose') {
  const compose = spawnSync(
    process.execPath,
    [...register, path.join(root, 'tools/compose/src/main.ts'), 'test', ...process.argv.slice(3)],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  process.exit(compose.status ?? 1);
}
// In npm start's order: the build first, so the stack's SMTP sink runs from dist/ too.
for (const [entry, args] of [
  ['tools/build/src/main.ts', []],
  ['tools/infra/src/main.ts', ['up']],
  ['tools/db/src/migrate.ts', []],
] as const) {
  const result = spawnSync(process.execPath, [...register, path.join(root, entry), ...args], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
// `npm run e2e -- hosts`: the hosts drills alone (their file exactly: "hosts" alone would match
// every path of a checkout in a folder named hosts), which start their own shop on their own
// hosts and need no one-host e2e shop.
const hostsOnly = process.argv[2] === 'hosts';
const patterns = hostsOnly ? ['src/hosts\\.e2e-spec\\.ts$', '--forceExit', ...process.argv.slice(3)] : process.argv.slice(2);
const jest = spawnSync(
  process.execPath,
  [path.join(root, 'node_modules/.bin/jest'), '-c', path.join(root, 'e2e/jest.config.cjs'), '--runInBand', ...patterns],
  // The pattern, for suites with a long form run only when named (the noisy-neighbour drill).
  {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, TENK_E2E_PATTERN: process.argv.slice(2).join(' '), ...(hostsOnly ? { TENK_E2E_SHOP: 'off' } : {}) },
  },
);
process.exit(jest.status ?? 1);

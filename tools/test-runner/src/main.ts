/**
 * `npm test` (after tools/bootstrap installed dependencies): every suite, in order, against
 * the real stack, each project's targets through Nx (`nx run-many`). Stages: build -> stack up
 * -> migrate -> lint -> type-check -> unit -> integration -> e2e. Ends with
 * `tests: N passed, N failed` over all of them and exits non-zero on any failure.
 * `npm test -- unit integration` runs only the named suites.
 */
import { readdirSync } from 'node:fs';
import { bin, checkStage, nx, nxCheckStage, nxJestStage, ROOT, setupStage, type StageResult } from './stages';

const SUITES = ['lint', 'typecheck', 'unit', 'integration', 'e2e'] as const;
type Suite = (typeof SUITES)[number];

async function main(): Promise<number> {
  const requested = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
  const unknown = requested.filter((name) => !(SUITES as readonly string[]).includes(name));
  if (unknown.length > 0) {
    console.error(`unknown suite(s): ${unknown.join(', ')}; suites: ${SUITES.join(', ')}`);
    return 2;
  }
  const suites = new Set<Suite>(requested.length > 0 ? (requested as Suite[]) : SUITES);
  const needsStack = suites.has('integration') || suites.has('e2e');
  const results: StageResult[] = [];
  const started = Date.now();
  const run = async (title: string, stage: () => Promise<StageResult>) => {
    console.log(`\n==> ${title}`);
    const result = await stage();
    results.push(result);
    console.log(
      `    ${result.name}: ${result.passed} passed, ${result.failed} failed (${result.seconds.toFixed(1)} s)${result.error ? ` - ${result.error}` : ''}`,
    );
    return result;
  };

  let ready = true;
  if (needsStack) {
    const build = await run('Build (nx run-many -t build: swc per project, Vite)', () =>
      nxCheckStage('build', ['run-many', '-t', 'build'], { setup: true }),
    );
    ready = build.failed === 0;
    for (const [title, entry, args] of [
      ['Local stack (tools/infra up)', 'tools/infra/src/main.ts', ['up']],
      ['Migrations', 'tools/db/src/migrate.ts', []],
    ] as const) {
      if (!ready) break;
      const result = await run(title, () => setupStage(title.split(' ')[0].toLowerCase(), entry, [...args]));
      if (result.failed > 0) ready = false;
    }
  }
  if (suites.has('lint')) {
    // The module-boundaries rule reads Nx's project graph: compute it first.
    await nx(['show', 'projects']);
    await run('Lint (nx run-many -t lint: ESLint + Nx module boundaries, per project)', () =>
      nxCheckStage('lint', ['run-many', '-t', 'lint']),
    );
    // The workspace's own config files belong to no project.
    const rootFiles = readdirSync(ROOT).filter((file) => /\.(c|m)?js$/.test(file));
    await run('Lint the workspace config files', () =>
      checkStage('lint-root', bin('eslint'), ['--max-warnings=0', ...rootFiles, 'tools/register.cjs']),
    );
    await run('Format check (prettier --check: .prettierrc.json, 140 columns)', () =>
      checkStage('format', bin('prettier'), ['--check', '.']),
    );
  }
  // One tsc over the whole repo (9 s) rather than `nx run-many -t typecheck`, which checks each
  // project's dependencies again in every project (2.5 min on 2 cores); same files, same errors.
  if (suites.has('typecheck'))
    await run('Type-check (tsc --noEmit)', () => checkStage('typecheck', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']));
  if (suites.has('typecheck'))
    await run('Type-check the storefront (DOM lib, its own tsconfig)', () =>
      checkStage('typecheck-web', 'npm', ['run', '-s', 'typecheck:storefront']),
    );
  if (suites.has('unit')) {
    // docker/nginx.conf is checked by real nginx (`nginx -t`), from Debian's package.
    await run('nginx for the config check (tools/infra install nginx)', () =>
      setupStage('nginx', 'tools/infra/src/main.ts', ['install', 'nginx']),
    );
    await run('Unit tests (nx run-many -t test)', () => nxJestStage('unit', 'test'));
  }
  if (suites.has('integration')) {
    await run('Integration tests (real PostgreSQL, Redis, Kafka, SMTP)', () =>
      // One project at a time: each Jest runs two files at once against the shared stack.
      ready ? nxJestStage('integration', 'int-test', ['--parallel=1']) : stackDown('integration'),
    );
  }
  if (suites.has('e2e') && ready) {
    // The browser suites drive Debian's chromium (never a downloaded browser); installed once.
    await run('Chromium for the browser suites (tools/infra install chromium)', () =>
      setupStage('chromium', 'tools/infra/src/main.ts', ['install', 'chromium']),
    );
  }
  if (suites.has('e2e')) {
    await run('End-to-end suites (the running shop)', () => (ready ? nxJestStage('e2e', 'e2e') : stackDown('e2e')));
  }

  const passed = results.reduce((sum, result) => sum + result.passed, 0);
  const failed = results.reduce((sum, result) => sum + result.failed, 0);
  console.log(`\n${'suite'.padEnd(14)}${'passed'.padStart(8)}${'failed'.padStart(8)}${'seconds'.padStart(10)}`);
  for (const result of results)
    console.log(
      `${result.name.padEnd(14)}${String(result.passed).padStart(8)}${String(result.failed).padStart(8)}${result.seconds.toFixed(1).padStart(10)}`,
    );
  console.log(`\nall suites in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  console.log(`tests: ${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

/** A suite that needs the stack, not run because the stack did not come up: one failure. */
function stackDown(name: string): Promise<StageResult> {
  return Promise.resolve({ name, passed: 0, failed: 1, seconds: 0, error: 'skipped: the stack did not come up' });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    console.log('tests: 0 passed, 1 failed');
    process.exit(1);
  },
);

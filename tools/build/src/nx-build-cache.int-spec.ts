/**
 * Nx's cache never brings back a stale library. In a small workspace made here with the real
 * nx.json, the real build tool and the build targets the real projects declare (a lib `a` used
 * only by app `two`, a lib `b` used only by app `one`): build both apps, change `a`, build `two`
 * then `one` (a cache hit), and the built `a` is still the new one, and `two` runs with it.
 * Before each project built only into its own folder, `one`'s cached outputs carried every lib
 * (dist/libs) and restored the old `a` over the new.
 * Also: touching `a` affects exactly `a` and `two`.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const NX = require.resolve('nx/bin/nx');

interface ProjectJson {
  targets?: Record<string, unknown>;
}

/** The build target a real project of this kind declares (if any), re-aimed at the fixture's project. */
function realTargets(kind: 'apps' | 'libs', realName: string, fixtureName: string): Record<string, unknown> {
  const project = JSON.parse(readFileSync(path.join(ROOT, kind, realName, 'project.json'), 'utf8')) as ProjectJson;
  const build = project.targets?.['build'];
  if (build === undefined) return {};
  return {
    build: JSON.parse(
      JSON.stringify(build).replaceAll(`/${realName}`, `/${fixtureName}`).replaceAll(` ${realName}"`, ` ${fixtureName}"`),
    ) as unknown,
  };
}

describe('nx build cache in a fixture workspace', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tenk-nx-cache-'));
  const env = {
    ...process.env,
    NX_DAEMON: 'false',
    NX_NO_CLOUD: 'true',
    NX_TUI: 'false',
    NX_SKIP_NX_CACHE: undefined,
    NX_WORKSPACE_ROOT_PATH: undefined,
  };
  const nx = (...args: string[]): string => execFileSync(process.execPath, [NX, ...args], { cwd: dir, env, encoding: 'utf8' });
  const write = (file: string, text: string) => {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  };

  beforeAll(() => {
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
    const nxJson = JSON.parse(readFileSync(path.join(ROOT, 'nx.json'), 'utf8')) as { plugins?: unknown };
    delete nxJson.plugins; // no jest or eslint targets needed here
    write('nx.json', JSON.stringify(nxJson));
    write('package.json', JSON.stringify({ name: 'fixture', private: true }));
    const tsconfig = JSON.parse(readFileSync(path.join(ROOT, 'tsconfig.base.json'), 'utf8')) as {
      compilerOptions: Record<string, unknown>;
    };
    tsconfig.compilerOptions['paths'] = { '@tenk/a': ['libs/a/src/index.ts'], '@tenk/b': ['libs/b/src/index.ts'] };
    write('tsconfig.base.json', JSON.stringify(tsconfig));
    cpSync(path.join(ROOT, 'tools/register.cjs'), path.join(dir, 'tools/register.cjs'));
    cpSync(path.join(ROOT, 'tools/build/src'), path.join(dir, 'tools/build/src'), {
      recursive: true,
      filter: (file) => !/\.(spec|int-spec)\.ts$/.test(file),
    });
    for (const [name, realName] of [
      ['a', 'config'],
      ['b', 'contracts'],
    ]) {
      write(`libs/${name}/project.json`, JSON.stringify({ name, projectType: 'library', targets: realTargets('libs', realName, name) }));
    }
    write('libs/a/src/index.ts', `export const version: string = 'a-1';\n`);
    write('libs/b/src/index.ts', `export const greeting: string = 'b';\n`);
    for (const [name, lib, realName] of [
      ['one', 'b', 'mailer'],
      ['two', 'a', 'reports'],
    ]) {
      write(
        `apps/${name}/project.json`,
        JSON.stringify({ name, projectType: 'application', targets: realTargets('apps', realName, name) }),
      );
      write(`apps/${name}/src/main.ts`, `import * as lib from '@tenk/${lib}';\nconsole.log(JSON.stringify(lib));\n`);
    }
  }, 60_000);

  afterAll(() => process.env['KEEP_FIXTURE'] || rmSync(dir, { recursive: true, force: true }));

  const builtA = () => readFileSync(path.join(dir, 'dist/libs/a/src/index.js'), 'utf8');
  const runTwo = () => execFileSync(process.execPath, [path.join(dir, 'dist/apps/two/src/main.js')], { encoding: 'utf8' });

  it('a cache hit on one app does not restore an old lib another app was built with', () => {
    nx('build', 'one');
    nx('build', 'two');
    expect(runTwo()).toContain('a-1');

    write('libs/a/src/index.ts', `export const version: string = 'a-2';\n`);
    nx('build', 'two');
    expect(builtA()).toContain('a-2');
    const again = nx('build', 'one');
    expect(again).toMatch(/cache|Nx read the output/i); // one's inputs did not change: a hit
    expect(builtA()).toContain('a-2');
    expect(runTwo()).toContain('a-2');
  }, 120_000);

  it('touching lib a affects a and the app that uses it, nothing else', () => {
    const affected = JSON.parse(nx('show', 'projects', '--affected', '--files=libs/a/src/index.ts', '--json')) as string[];
    expect(affected.sort()).toEqual(['a', 'two']);
  }, 60_000);
});

/**
 * Builds the server side of the workspace into dist/ with swc. Each project compiles into its
 * own folder, dist/<project root> (dist/libs/database, dist/apps/api, dist/tools/db), keeping
 * the workspace layout so the rewritten `@tenk/*` imports line up.
 *
 *   npm run build                      every lib, app and runnable tool, in one process (~2 s)
 *   npm run build -- api balancer      every lib, then the named apps
 *   ... main.ts --project libs/config  exactly one project into dist/libs/config: what each
 *                                      project's Nx `build` target runs (`nx build api` builds
 *                                      its libs first through `dependsOn: ^build`)
 *
 * Type-checking is `npm run typecheck` (or `nx typecheck <project>`); this step only compiles.
 * Browser apps (apps/storefront) are built with Vite into dist/apps/<name> (vite-build.ts).
 */
import { readFileSync, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { compileTree, swcOptions } from './compile';
import { viteBuild } from './vite-build';

const NON_NODE_APPS = new Set(['storefront']);
const RUNNABLE_TOOLS = ['payment-sim', 'db', 'admin', 'infra'];

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '../../..');
  const outRoot = path.join(root, 'dist');
  const tsconfig = JSON.parse(readFileSync(path.join(root, 'tsconfig.base.json'), 'utf8')) as {
    compilerOptions: { paths: Record<string, string[]> };
  };
  const options = swcOptions(root, tsconfig.compilerOptions.paths);
  const { values, positionals } = parseArgs({ options: { project: { type: 'string' } }, allowPositionals: true });

  if (values.project !== undefined) {
    const projectRoot = path.normalize(values.project).replace(/\/$/, '');
    const [kind, name] = projectRoot.split('/');
    if (!['apps', 'libs', 'tools'].includes(kind) || !name || !existsSync(path.join(root, projectRoot, 'src'))) {
      throw new Error(`--project takes a project root with a src/ folder (apps/api, libs/config, tools/db); got ${values.project}`);
    }
    const started = Date.now();
    if (kind === 'apps' && NON_NODE_APPS.has(name)) {
      await viteBuild(root, name);
      console.log(`build: ${name} (Vite) -> dist/apps/${name} in ${Date.now() - started} ms`);
      return;
    }
    const result = await compileTree(root, path.join(root, projectRoot, 'src'), outRoot, options);
    console.log(
      `build: ${result.files} files, ${result.assets} assets from ${projectRoot} -> dist/${projectRoot} in ${Date.now() - started} ms`,
    );
    return;
  }

  const allApps = readdirSync(path.join(root, 'apps')).filter(
    (name) => !NON_NODE_APPS.has(name) && existsSync(path.join(root, 'apps', name, 'src')),
  );
  const requested = positionals;
  const webApps = [...NON_NODE_APPS].filter(
    (name) => existsSync(path.join(root, 'apps', name, 'vite.config.mts')) && (requested.length === 0 || requested.includes(name)),
  );
  const unknown = requested.filter((name) => !allApps.includes(name) && !NON_NODE_APPS.has(name));
  if (unknown.length > 0) throw new Error(`Unknown app(s): ${unknown.join(', ')}. Apps: ${[...allApps, ...NON_NODE_APPS].join(', ')}`);
  const apps = requested.length > 0 ? requested.filter((name) => !NON_NODE_APPS.has(name)) : allApps;

  const started = Date.now();
  const trees = [
    ...readdirSync(path.join(root, 'libs')).map((name) => path.join(root, 'libs', name, 'src')),
    ...apps.map((name) => path.join(root, 'apps', name, 'src')),
    // Runnable tools the shop starts beside the apps.
    ...(requested.length === 0 ? RUNNABLE_TOOLS.map((name) => path.join(root, 'tools', name, 'src')) : []),
  ].filter((dir) => existsSync(dir));
  let files = 0;
  for (const dir of trees) {
    const result = await compileTree(root, dir, outRoot, options);
    files += result.files;
  }
  console.log(`build: ${files} files from ${trees.length} projects (${apps.join(', ')}) -> dist/ in ${Date.now() - started} ms`);
  for (const name of webApps) {
    const viteStarted = Date.now();
    await viteBuild(root, name);
    console.log(`build: ${name} (Vite) -> dist/apps/${name} in ${Date.now() - viteStarted} ms`);
  }
}

main().catch((error: unknown) => {
  console.error(`build failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

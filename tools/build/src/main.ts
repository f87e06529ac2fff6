/**
 * Builds the server side of the workspace into dist/ with swc: every lib, and the apps named
 * on the command line (all of them when none is named). Usage: npm run build [-- api balancer]
 * Type-checking is `npm run typecheck`; this step only compiles, in a second or two.
 * Browser apps (apps/storefront) are then built with Vite into dist/apps/<name> (vite-build.ts).
 */
import { readFileSync, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
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
  const allApps = readdirSync(path.join(root, 'apps')).filter((name) => !NON_NODE_APPS.has(name) && existsSync(path.join(root, 'apps', name, 'src')));
  const requested = process.argv.slice(2);
  const webApps = [...NON_NODE_APPS].filter((name) => existsSync(path.join(root, 'apps', name, 'vite.config.mts')) && (requested.length === 0 || requested.includes(name)));
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

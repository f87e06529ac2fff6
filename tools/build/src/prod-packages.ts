/**
 * One package.json per image, with only the production dependencies that image's programs
 * load: walks the built JavaScript (dist/) from each entry point through its relative requires
 * (the `@tenk/*` imports are relative after the build) and keeps the npm packages it reaches,
 * at the workspace's versions, plus the packages those load lazily by name (Nest's HTTP
 * adapter, TypeORM's driver...). docker/Dockerfile installs each with `npm install --omit=dev`
 * against the workspace lock, so an image holds its own dependencies and no build tools.
 *
 *   node -r ./tools/register.cjs tools/build/src/prod-packages.ts   writes dist/deploy/<image>/package.json
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';

/** Each image and the built programs it runs. */
export const IMAGE_ENTRIES: Record<string, string[]> = {
  api: ['dist/apps/api/src/main.js'],
  'media-worker': ['dist/apps/media-worker/src/main.js'],
  mailer: ['dist/apps/mailer/src/main.js'],
  reports: ['dist/apps/reports/src/main.js'],
  balancer: ['dist/apps/balancer/src/main.js'],
  'payment-sim': ['dist/tools/payment-sim/src/main.js'],
  // The tools image: migrations, the admin CLI and the SMTP sink.
  runtime: ['dist/tools/db/src/migrate.js', 'dist/tools/admin/src/main.js', 'dist/tools/infra/src/smtp-sink/main.js'],
};

/** Packages that load others by name at run time, where no require() in our code shows it. */
const LOADED_BY_NAME: Record<string, string[]> = {
  '@nestjs/core': ['reflect-metadata', 'rxjs', 'class-validator', 'class-transformer'],
  // Swagger's UI assets are served through the adapter's useStaticAssets, which loads it by name.
  '@nestjs/platform-fastify': ['@fastify/static'],
  '@nestjs/microservices': ['kafkajs'],
  'nestjs-pino': ['pino', 'pino-http'],
  typeorm: ['pg'],
  '@nestjs/bull': ['bull'],
};

const BUILTIN = new Set(builtinModules);

/** The npm package a bare specifier names (`@scope/name/deep` -> `@scope/name`), or undefined for Node's own and relative ones. */
export function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) return undefined;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  return BUILTIN.has(name) ? undefined : name;
}

/** The npm packages the built files reachable from `entries` require. */
export function packagesReached(root: string, entries: string[]): Set<string> {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    // require("x") and require.resolve("x") (a worker's source names its module by path).
    for (const [, specifier] of source.matchAll(/require(?:\.resolve)?\(["']([^"']+)["']\)/g)) {
      if (specifier.startsWith('.')) {
        const target = resolveRelative(path.dirname(file), specifier);
        if (target) visit(target);
        continue;
      }
      const name = packageOf(specifier);
      if (name) packages.add(name);
    }
  };
  for (const entry of entries) {
    const file = path.join(root, entry);
    if (!existsSync(file)) throw new Error(`${entry} is not built (npm run build first)`);
    visit(file);
  }
  return packages;
}

function resolveRelative(dir: string, specifier: string): string | undefined {
  const base = path.resolve(dir, specifier);
  return [base, `${base}.js`, path.join(base, 'index.js')].find((candidate) => existsSync(candidate) && candidate.endsWith('.js'));
}

/** The package.json of one image: the reached packages at the workspace's versions. */
export function imagePackage(root: string, image: string): { name: string; private: true; dependencies: Record<string, string> } {
  const workspace = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
    overrides?: Record<string, string>;
  };
  const reached = packagesReached(root, IMAGE_ENTRIES[image]);
  for (const name of [...reached]) for (const extra of LOADED_BY_NAME[name] ?? []) reached.add(extra);
  const notProduction = [...reached].filter((name) => !(name in workspace.dependencies));
  if (notProduction.length > 0) {
    throw new Error(`${image} loads ${notProduction.join(', ')}, which package.json lists only as a devDependency (or not at all)`);
  }
  const dependencies = Object.fromEntries([...reached].sort().map((name) => [name, workspace.dependencies[name]]));
  return { name: `tenk-${image}`, private: true, dependencies };
}

function main(): void {
  const root = path.resolve(__dirname, '../../..');
  for (const image of Object.keys(IMAGE_ENTRIES)) {
    const manifest = imagePackage(root, image);
    const dir = path.join(root, 'dist/deploy', image);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    console.log(`prod-packages: ${image}: ${Object.keys(manifest.dependencies).length} packages`);
  }
}

if (require.main === module) main();

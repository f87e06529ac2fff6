import { transformFile, type Options } from '@swc/core';
import { copyFile, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Files under a source folder that are not code but ship with it (templates, configs, pages). */
const ASSET_EXTENSIONS = new Set([
  '.json',
  '.html',
  '.css',
  '.svg',
  '.hbs',
  '.txt',
  '.conf',
  '.sql',
  '.js',
  '.mjs',
  '.cjs',
  '.ico',
  '.png',
]);
const TEST_FILE = /\.(spec|int-spec|e2e-spec)\.ts$/;

export interface CompileResult {
  files: number;
  assets: number;
}

/** swc options equal to tsconfig.base.json: CommonJS, ES2022, decorator metadata for Nest and TypeORM. */
export function swcOptions(workspaceRoot: string, paths: Record<string, string[]>): Options {
  return {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      target: 'es2022',
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      // swc rewrites `@tenk/x` into relative paths, so dist/ runs with plain `node`.
      baseUrl: workspaceRoot,
      paths,
      keepClassNames: true,
    },
    module: { type: 'commonjs', strictMode: true },
    sourceMaps: true,
    swcrc: false,
    configFile: false,
  };
}

/**
 * Compiles every TypeScript file under `sourceDir` into the same relative place under
 * `outRoot` (keeping the workspace layout, so rewritten relative imports line up), and
 * copies assets beside them. Test files are left out.
 */
export async function compileTree(workspaceRoot: string, sourceDir: string, outRoot: string, options: Options): Promise<CompileResult> {
  const result: CompileResult = { files: 0, assets: 0 };
  const relativeDir = path.relative(workspaceRoot, sourceDir);
  await rm(path.join(outRoot, relativeDir), { recursive: true, force: true });
  for (const file of await listFiles(sourceDir)) {
    const relative = path.relative(workspaceRoot, file);
    const target = path.join(outRoot, relative);
    await mkdir(path.dirname(target), { recursive: true });
    if (file.endsWith('.ts') && !file.endsWith('.d.ts')) {
      if (TEST_FILE.test(file)) continue;
      const output = await transformFile(file, { ...options, filename: file, sourceFileName: path.relative(path.dirname(target), file) });
      const jsFile = target.replace(/\.ts$/, '.js');
      await writeFile(jsFile, `${output.code}\n//# sourceMappingURL=${path.basename(jsFile)}.map\n`);
      if (output.map) await writeFile(`${jsFile}.map`, output.map);
      result.files += 1;
    } else if (ASSET_EXTENSIONS.has(path.extname(file))) {
      await copyFile(file, target);
      result.assets += 1;
    }
  }
  return result;
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : listFiles(full);
      return [full];
    }),
  );
  return nested.flat();
}

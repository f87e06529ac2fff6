import { spawn } from 'node:child_process';
import path from 'node:path';

/**
 * Builds a browser app with Vite (apps/<name>/vite.config.mts) into dist/apps/<name>: content-
 * hashed files under assets/ and an index.html. Run as its own process: Vite is ESM-only and
 * this build tool is CommonJS. Takes about half a second for the storefront.
 */
export function viteBuild(root: string, name: string): Promise<void> {
  const config = path.join(root, 'apps', name, 'vite.config.mts');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', config], {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`vite build of ${name} exited with ${code}; see its output above`)),
    );
  });
}

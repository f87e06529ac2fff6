import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The folder holding nx.json, found upward from this file (works from sources and from
 * dist/); falls back to the working directory, as in a container image.
 */
export function findWorkspaceRoot(start = __dirname): string {
  let dir = start;
  for (;;) {
    if (existsSync(path.join(dir, 'nx.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

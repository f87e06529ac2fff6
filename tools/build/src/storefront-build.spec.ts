/**
 * The production build (what `npm run build` puts in dist/apps/storefront, and the balancer
 * serves to anyone under /assets/) carries no source maps: no .map file, no sourceMappingURL.
 * Built here into a temporary folder, with the same Vite config.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');

describe('the storefront production build', () => {
  const outDir = mkdtempSync(path.join(os.tmpdir(), 'tenk-storefront-build-'));
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('emits no source maps and names none', () => {
    const vite = spawnSync(
      process.execPath,
      [
        path.join(ROOT, 'node_modules/vite/bin/vite.js'),
        'build',
        '--config',
        path.join(ROOT, 'apps/storefront/vite.config.mts'),
        '--outDir',
        outDir,
        '--emptyOutDir',
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(vite.stderr).not.toMatch(/error/i);
    expect(vite.status).toBe(0);
    const files = readdirSync(outDir, { recursive: true, encoding: 'utf8' });
    expect(files.filter((file) => file.endsWith('.js'))).not.toEqual([]);
    expect(files.filter((file) => file.endsWith('.map'))).toEqual([]);
    for (const file of files.filter((name) => /\.(js|css|html)$/.test(name))) {
      expect([file, readFileSync(path.join(outDir, file), 'utf8')]).not.toEqual([file, expect.stringContaining('sourceMappingURL')]);
    }
  }, 60_000);
});

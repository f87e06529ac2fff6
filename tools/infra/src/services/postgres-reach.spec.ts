/**
 * The postgres OS user must reach its folders even when the checkout sits in a private folder
 * (`mktemp -d` makes one with mode 0700). Needs root and Debian's postgres user, as tools/infra
 * itself does when it starts PostgreSQL.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { letUserReach, osUser } from './postgres';

const root = process.getuid?.() === 0;
const canReach = (dir: string) => spawnSync('runuser', ['-u', 'postgres', '--', 'test', '-x', dir]).status === 0;

(root ? describe : describe.skip)('letUserReach (as root)', () => {
  it('adds only the search bit to each private folder above, once, and says so', () => {
    const top = mkdtempSync(path.join(os.tmpdir(), 'tenk-reach-'));
    const data = path.join(top, 'checkout', '.tenk', 'data');
    mkdirSync(data, { recursive: true });
    try {
      expect(statSync(top).mode & 0o777).toBe(0o700);
      expect(canReach(data)).toBe(false);
      const { uid, gid } = osUser('postgres');
      const said: string[] = [];
      letUserReach(data, uid, gid, (message) => said.push(message));
      expect(canReach(data)).toBe(true);
      expect(statSync(top).mode & 0o777).toBe(0o701);
      expect(said.some((line) => line.includes(top))).toBe(true);
      said.length = 0;
      letUserReach(data, uid, gid, (message) => said.push(message));
      expect(said).toEqual([]);
    } finally {
      rmSync(top, { recursive: true, force: true });
    }
  });
});

import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readStackSecrets, stackSecretsPath } from '@tenk/config';
import { ensureStackSecrets } from './secrets';
import { withConninfoPassword } from './services/postgres';

describe("the machine's stack passwords (.tenk/secrets.env)", () => {
  const state = () => mkdtempSync(path.join(os.tmpdir(), 'tenk-secrets-'));

  it('makes both once, 48 hex digits each, in a 0600 file, and keeps them afterwards', () => {
    const dir = state();
    const lines: string[] = [];
    ensureStackSecrets(dir, (line) => lines.push(line));
    const first = readStackSecrets(dir);
    expect(first.TENK_PG_PASSWORD).toMatch(/^[0-9a-f]{48}$/);
    expect(first.TENK_REDIS_PASSWORD).toMatch(/^[0-9a-f]{48}$/);
    expect(first.TENK_PG_PASSWORD).not.toBe(first.TENK_REDIS_PASSWORD);
    expect(statSync(stackSecretsPath(dir)).mode & 0o777).toBe(0o600);
    expect(lines).toEqual([
      expect.stringMatching(/^generated TENK_PG_PASSWORD and TENK_REDIS_PASSWORD for this machine into .*secrets\.env \(mode 0600\)$/),
    ]);
    ensureStackSecrets(dir, (line) => lines.push(line));
    expect(readStackSecrets(dir)).toEqual(first);
    expect(lines).toHaveLength(1);
  });

  it('adds a missing one without changing the other, and closes a file others can read', () => {
    const dir = state();
    writeFileSync(stackSecretsPath(dir), 'TENK_PG_PASSWORD=kept-as-it-was\n');
    chmodSync(stackSecretsPath(dir), 0o644);
    const lines: string[] = [];
    ensureStackSecrets(dir, (line) => lines.push(line));
    expect(readStackSecrets(dir).TENK_PG_PASSWORD).toBe('kept-as-it-was');
    expect(readStackSecrets(dir).TENK_REDIS_PASSWORD).toMatch(/^[0-9a-f]{48}$/);
    expect(statSync(stackSecretsPath(dir)).mode & 0o777).toBe(0o600);
    expect(lines.join('\n')).toMatch(/generated TENK_REDIS_PASSWORD[\s\S]*was readable by others: made it 0600/);
    expect(readFileSync(stackSecretsPath(dir), 'utf8')).toMatch(/^# This machine's stack passwords/);
  });
});

describe('withConninfoPassword (the replica streams with primary_conninfo)', () => {
  const written = 'user=replicator password=tenk channel_binding=prefer host=127.0.0.1 port=55432 sslmode=prefer';

  it('replaces the password pg_basebackup -R wrote, keeping the rest', () => {
    expect(withConninfoPassword(written, 'abc123')).toBe(
      'user=replicator channel_binding=prefer host=127.0.0.1 port=55432 sslmode=prefer password=abc123',
    );
    expect(withConninfoPassword("user=replicator password='it\\'s quoted' host=h", 'n')).toBe('user=replicator host=h password=n');
  });

  it('adds one where there is none, and leaves a right one alone', () => {
    expect(withConninfoPassword('user=replicator host=h', 'n')).toBe('user=replicator host=h password=n');
    expect(withConninfoPassword(written, 'tenk')).toBe(written);
  });
});

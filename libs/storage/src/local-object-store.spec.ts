import { mkdtempSync, readdirSync, rmSync, writeFileSync, existsSync, utimesSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { isStorageError } from './errors';
import { LocalObjectStore } from './local-object-store';

describe('LocalObjectStore', () => {
  let root: string;
  let store: LocalObjectStore;

  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'tenk-store-'));
    store = new LocalObjectStore(root);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('streams an object in and reads it back, whole and by range', async () => {
    const stored = await store.put('videos/a/source', Readable.from(['hello ', 'world']));
    expect(stored).toMatchObject({ key: 'videos/a/source', size: 11 });
    expect(await text(await store.read('videos/a/source'))).toBe('hello world');
    expect(await text(await store.read('videos/a/source', { start: 6, end: 10 }))).toBe('world');
    expect(await store.stat('videos/a/source')).toMatchObject({ size: 11 });
  });

  it('refuses an object past maxBytes and keeps nothing, not even a temporary file', async () => {
    const body = Readable.from([Buffer.alloc(600), Buffer.alloc(600)]);
    let caught: unknown;
    try {
      await store.put('videos/b/source', body, { maxBytes: 1000 });
    } catch (error) {
      caught = error;
    }
    expect(isStorageError(caught, 'too-large')).toBe(true);
    expect(await store.stat('videos/b/source')).toBeUndefined();
    expect(readdirSync(path.join(root, '.incoming'))).toEqual([]);
  });

  it('replaces an object atomically', async () => {
    await store.put('reports/r.csv', Readable.from(['old']));
    await store.put('reports/r.csv', Readable.from(['new content']));
    expect(await text(await store.read('reports/r.csv'))).toBe('new content');
  });

  it('reports a missing object as not-found', async () => {
    await expect(store.read('videos/none/source')).rejects.toMatchObject({ code: 'not-found' });
    await expect(store.withLocalFile('videos/none/source', async () => 'never')).rejects.toMatchObject({ code: 'not-found' });
    expect(await store.stat('videos/none/source')).toBeUndefined();
    await expect(store.delete('videos/none/source')).resolves.toBeUndefined();
  });

  it('deletes a prefix and the folders it leaves empty', async () => {
    await store.put('videos/c/hls/a.ts', Readable.from(['a']));
    await store.put('videos/c/hls/b.ts', Readable.from(['b']));
    await store.put('videos/c/720p.mp4', Readable.from(['v']));
    expect(await store.deletePrefix('videos/c/hls')).toBe(2);
    expect(existsSync(path.join(root, 'videos/c/hls'))).toBe(false);
    await store.delete('videos/c/720p.mp4');
    expect(existsSync(path.join(root, 'videos/c'))).toBe(false);
    expect(existsSync(path.join(root, 'videos'))).toBe(false);
  });

  it('never resolves a key outside its root', async () => {
    await expect(store.put('../escape', Readable.from(['x']))).rejects.toMatchObject({ code: 'invalid-key' });
    await expect(store.read('videos/../../etc/passwd')).rejects.toMatchObject({ code: 'invalid-key' });
  });

  it('sweeps temporary files left by a dead process, and only old ones', async () => {
    mkdirSync(path.join(root, '.incoming'), { recursive: true });
    const stale = path.join(root, '.incoming', 'stale');
    const fresh = path.join(root, '.incoming', 'fresh');
    writeFileSync(stale, 'x');
    writeFileSync(fresh, 'x');
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    utimesSync(stale, twoHoursAgo, twoHoursAgo);
    expect(await store.sweepIncoming()).toBe(1);
    expect(readdirSync(path.join(root, '.incoming'))).toEqual(['fresh']);
  });
});

import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, readdir, rename, rm, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ObjectNotFoundError, ObjectTooLargeError } from './errors';
import { assertObjectKey } from './object-key';
import type { ByteRange, ObjectStore, PutOptions, StoredObject } from './object-store';

/** Temporary files of writes in progress live here, inside the root: a rename moves them in. */
const TEMP_DIR = '.incoming';
/** A temporary file this old belongs to a write that died with its process. */
const STALE_TEMP_MS = 60 * 60_000;

/**
 * The object store as a folder: key `videos/ab/720p.mp4` is the file `<root>/videos/ab/720p.mp4`.
 * Writes go to a temporary file in the same file system first and are renamed into place, so a
 * reader never sees half an object and a crash leaves nothing under the key.
 */
export class LocalObjectStore implements ObjectStore {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  put(key: string, body: Readable, options: PutOptions = {}): Promise<StoredObject> {
    return this.#writeAtomically(key, async (temp) => {
      const out = createWriteStream(temp, { flags: 'wx' });
      if (options.maxBytes === undefined) await pipeline(body, out);
      else await pipeline(body, new ByteLimit(key, options.maxBytes), out);
    });
  }

  putFile(key: string, file: string): Promise<StoredObject> {
    return this.#writeAtomically(key, (temp) => copyFile(file, temp));
  }

  async stat(key: string): Promise<StoredObject | undefined> {
    try {
      const info = await stat(this.#path(key));
      return info.isFile() ? { key, size: info.size, modifiedAt: info.mtime } : undefined;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    const file = this.#path(key);
    const stream = createReadStream(file, range ? { start: range.start, end: range.end } : {});
    // Surface a missing file as ObjectNotFoundError before any byte is sent.
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', (error) => reject(isMissing(error) ? new ObjectNotFoundError(key) : error));
    });
    return stream;
  }

  async delete(key: string): Promise<void> {
    const file = this.#path(key);
    try {
      await unlink(file);
    } catch (error) {
      if (!isMissing(error)) throw error;
      return;
    }
    await this.#pruneEmptyParents(path.dirname(file));
  }

  async deletePrefix(prefix: string): Promise<number> {
    const dir = this.#path(prefix);
    const count = await countFiles(dir);
    await rm(dir, { recursive: true, force: true });
    await this.#pruneEmptyParents(path.dirname(dir));
    return count;
  }

  async withLocalFile<T>(key: string, work: (file: string) => Promise<T>): Promise<T> {
    const file = this.#path(key);
    if (!(await this.stat(key))) throw new ObjectNotFoundError(key);
    return work(file);
  }

  async check(): Promise<void> {
    const probe = await this.#tempFile();
    await writeFile(probe, 'ok');
    await rm(probe, { force: true });
  }

  /** Removes temporary files left by writes whose process died. */
  async sweepIncoming(now = Date.now()): Promise<number> {
    const dir = path.join(this.root, TEMP_DIR);
    let removed = 0;
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const file = path.join(dir, name);
      const info = await stat(file).catch(() => undefined);
      if (info && now - info.mtimeMs > STALE_TEMP_MS) {
        await rm(file, { force: true });
        removed += 1;
      }
    }
    return removed;
  }

  #path(key: string): string {
    const file = path.join(this.root, assertObjectKey(key));
    // assertObjectKey already forbids dot segments; this is belt and braces.
    if (!file.startsWith(this.root + path.sep)) throw new Error(`storage key ${key} resolves outside ${this.root}`);
    return file;
  }

  async #tempFile(): Promise<string> {
    const dir = path.join(this.root, TEMP_DIR);
    await mkdir(dir, { recursive: true });
    return path.join(dir, randomUUID());
  }

  /** `write` fills a temporary file, which is then renamed to the key's path (or removed on failure). */
  async #writeAtomically(key: string, write: (temp: string) => Promise<void>): Promise<StoredObject> {
    const target = this.#path(key);
    const temp = await this.#tempFile();
    try {
      await write(temp);
      await mkdir(path.dirname(target), { recursive: true });
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    const info = await stat(target);
    return { key, size: info.size, modifiedAt: info.mtime };
  }

  /** Empty folders left by deletes go too, up to (not including) the root. */
  async #pruneEmptyParents(dir: string): Promise<void> {
    let current = dir;
    while (current.startsWith(this.root + path.sep)) {
      try {
        await rmdir(current);
      } catch {
        return; // not empty (or already gone): stop climbing
      }
      current = path.dirname(current);
    }
  }
}

/** Passes bytes through until more than `maxBytes` arrived, then fails the pipeline. */
class ByteLimit extends Transform {
  #seen = 0;

  constructor(
    private readonly key: string,
    private readonly maxBytes: number,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#seen += chunk.length;
    if (this.#seen > this.maxBytes) callback(new ObjectTooLargeError(this.key, this.maxBytes));
    else callback(null, chunk);
  }
}

async function countFiles(dir: string): Promise<number> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  let count = 0;
  for (const entry of entries) count += entry.isDirectory() ? await countFiles(path.join(dir, entry.name)) : 1;
  return count;
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

import type { Readable } from 'node:stream';

/** What a store knows about one object. */
export interface StoredObject {
  key: string;
  size: number;
  modifiedAt: Date;
}

/** Bytes `start` to `end`, both included (as HTTP Range counts them). */
export interface ByteRange {
  start: number;
  end: number;
}

export interface PutOptions {
  /** Refuse the object (ObjectTooLargeError, nothing kept) once more bytes than this arrive. */
  maxBytes?: number;
}

/**
 * Where tenk keeps files: uploads, renditions, report exports. Keys are paths we build
 * (`videos/<uuid>/720p.mp4`), never names a user sent. The local folder store implements it;
 * an S3-compatible store would too (put = multipart upload, read = ranged GET,
 * withLocalFile = download to a temporary file).
 */
export interface ObjectStore {
  /**
   * Streams `body` into `key` without holding it in memory. Atomic: readers see the whole
   * object or none of it; on failure nothing is kept.
   */
  put(key: string, body: Readable, options?: PutOptions): Promise<StoredObject>;
  /** Copies a local file in (what a transcoder wrote to its work folder). */
  putFile(key: string, file: string): Promise<StoredObject>;
  stat(key: string): Promise<StoredObject | undefined>;
  /** The object's bytes, or a range of them. Throws ObjectNotFoundError. */
  read(key: string, range?: ByteRange): Promise<Readable>;
  /** Deletes the object; no error when it does not exist. */
  delete(key: string): Promise<void>;
  /** Deletes every object under `prefix/`; returns how many. */
  deletePrefix(prefix: string): Promise<number>;
  /**
   * Runs `work` with a local file holding the object's bytes, for tools that need a file
   * (ffprobe, ffmpeg): the object itself here, a temporary download for a remote store.
   */
  withLocalFile<T>(key: string, work: (file: string) => Promise<T>): Promise<T>;
  /** Throws when the store cannot be written (readiness). */
  check(): Promise<void>;
}

export const OBJECT_STORE = Symbol.for('tenk.storage.object-store');

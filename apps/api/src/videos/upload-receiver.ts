import { BadRequestException, UnsupportedMediaTypeException } from '@nestjs/common';
import busboy from 'busboy';
import { PassThrough } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { ObjectTooLargeError, type ObjectStore, type StoredObject } from '@tenk/storage';

/** Multipart field names taken as the video; the first one found wins. */
const FILE_FIELDS = new Set(['video', 'file']);
const RAW_TYPE = /^(video\/[\w.+-]+|application\/octet-stream)$/i;

export interface ReceivedUpload {
  object: StoredObject;
  /** The client's name for the file (multipart only): kept for display, never used as a path. */
  originalName: string | null;
}

/**
 * Streams an upload from the request straight into storage under `key` (never whole in
 * memory, never under a name the client chose), refusing it past `maxBytes`. Takes the raw
 * body (`Content-Type: video/*` or `application/octet-stream`) or one file of a
 * `multipart/form-data` body (field `video` or `file`). On any failure nothing is kept. `req` is
 * node's request, its body unread: the api's catch-all body parser passes such bodies through
 * (configureHttp), so they stream from the socket here, never buffered whole.
 */
export async function receiveUpload(req: IncomingMessage, store: ObjectStore, key: string, maxBytes: number): Promise<ReceivedUpload> {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim();
  if (RAW_TYPE.test(type)) {
    // Through a PassThrough: a failed write then ends that stream, not the request's socket,
    // so the client still gets the answer saying why.
    const body = new PassThrough();
    req.pipe(body);
    req.once('aborted', () => body.destroy(new Error('the client closed the connection during the upload')));
    try {
      return { object: await store.put(key, body, { maxBytes }), originalName: null };
    } finally {
      req.unpipe(body);
    }
  }
  if (type.toLowerCase() === 'multipart/form-data') return receiveMultipart(req, store, key, maxBytes);
  throw new UnsupportedMediaTypeException(
    `send the video as the request body with Content-Type video/* (or application/octet-stream), or as multipart/form-data with a file field named "video"; got ${type ? `Content-Type ${type}` : 'no Content-Type'}`,
  );
}

function receiveMultipart(req: IncomingMessage, store: ObjectStore, key: string, maxBytes: number): Promise<ReceivedUpload> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { files: 1, fileSize: maxBytes, fields: 10, parts: 11 } });
    } catch (error) {
      reject(new BadRequestException(`malformed multipart request: ${(error as Error).message}`));
      return;
    }
    let stored: Promise<ReceivedUpload> | undefined;
    parser.on('file', (field, stream, info) => {
      if (stored || !FILE_FIELDS.has(field)) {
        stream.resume(); // not ours: let the parser move past it
        return;
      }
      // busboy cuts a file at `fileSize` and says so with 'limit': fail the write instead.
      stream.once('limit', () => stream.destroy(new ObjectTooLargeError(key, maxBytes)));
      // A small limit can be hit within the first chunk, before store.put listens to the
      // stream: the error then has no listener and would be thrown out of the process. put
      // still fails with it (it finds the stream destroyed with that error).
      stream.on('error', () => undefined);
      const originalName = info.filename ? info.filename.slice(0, 255) : null;
      stored = store.put(key, stream, { maxBytes }).then((object) => ({ object, originalName }));
      // A failed write (too large) answers at once, without reading the rest of the body.
      stored.catch((error: unknown) => {
        req.unpipe(parser);
        reject(error);
      });
    });
    parser.once('error', (error: Error) => {
      reject(new BadRequestException(`malformed multipart request: ${error.message}`));
    });
    parser.once('close', () => {
      if (!stored) reject(new BadRequestException('the multipart body has no file field named "video"'));
      else stored.then(resolve, () => undefined);
    });
    req.once('aborted', () => parser.destroy(new Error('the client closed the connection during the upload')));
    req.pipe(parser);
  });
}

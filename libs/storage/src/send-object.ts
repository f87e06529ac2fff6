import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { parseRange } from './byte-range';
import { ObjectNotFoundError } from './errors';
import { contentTypeOf } from './object-key';
import type { ObjectStore } from './object-store';

export interface SendObjectOptions {
  /** Defaults to the type the key's extension implies. */
  contentType?: string;
  cacheControl?: string;
  /** Sets `Content-Disposition: attachment` with this file name (a download, not inline). */
  downloadName?: string;
}

/**
 * Answers a GET/HEAD with a stored object, streaming it: `Accept-Ranges`, `206` with
 * `Content-Range` for a Range request (what lets a browser seek in a video), `416` for a range
 * past the end, `304` when the client's ETag still matches. Throws ObjectNotFoundError before
 * writing anything when the object is missing.
 */
export async function sendObject(
  req: IncomingMessage,
  res: ServerResponse,
  store: ObjectStore,
  key: string,
  options: SendObjectOptions = {},
): Promise<void> {
  const object = await store.stat(key);
  if (!object) throw new ObjectNotFoundError(key);
  const etag = `"${object.size.toString(16)}-${object.modifiedAt.getTime().toString(16)}"`;
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('ETag', etag);
  res.setHeader('Last-Modified', object.modifiedAt.toUTCString());
  res.setHeader('Content-Type', options.contentType ?? contentTypeOf(key));
  if (options.cacheControl) res.setHeader('Cache-Control', options.cacheControl);
  if (options.downloadName)
    res.setHeader('Content-Disposition', `attachment; filename="${options.downloadName.replace(/[^A-Za-z0-9._-]/g, '_')}"`);

  if (req.headers['if-none-match'] === etag) {
    res.statusCode = 304;
    res.end();
    return;
  }
  // If-Range: the range applies only while the client's copy is still the current one.
  const ifRange = req.headers['if-range'];
  const rangeHeader = ifRange && ifRange !== etag ? undefined : req.headers.range;
  const request = parseRange(rangeHeader, object.size);
  if (request.kind === 'unsatisfiable') {
    res.statusCode = 416;
    res.setHeader('Content-Range', `bytes */${object.size}`);
    res.end();
    return;
  }
  const range = request.kind === 'partial' ? request.range : undefined;
  res.statusCode = range ? 206 : 200;
  if (range) res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${object.size}`);
  res.setHeader('Content-Length', range ? range.end - range.start + 1 : object.size);
  if (req.method === 'HEAD' || object.size === 0) {
    res.end();
    return;
  }
  try {
    await pipeline(await store.read(key, range), res);
  } catch (error) {
    // A viewer seeking away closes the connection mid-file: normal for video, not a failure.
    if (res.destroyed && (error as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') return;
    throw error;
  }
}

import { open, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { HttpSettings } from '../config/schema';
import type { RuntimeLocation } from '../runtime/runtime-location';
import { ADD_HEADER_STATUSES } from './header-plans';
import { mediaType } from './mime-types';
import type { RequestContext } from './request-context';
import { resolveSegments } from './uri';
import type { Template, VariableContext } from './variables';

/** What a static lookup found: a file to send, a redirect to another URI, or a status. */
export type StaticOutcome =
  { kind: 'file'; file: string } | { kind: 'internal'; uri: string } | { kind: 'status'; code: number } | { kind: 'slash' };

const EXPIRES_MAX = 'Thu, 31 Dec 2037 23:55:55 GMT';
const EXPIRES_EPOCH = 'Thu, 01 Jan 1970 00:00:01 GMT';

/**
 * Static files as nginx's static, index and try_files modules serve them: `root` (path =
 * root + $uri) or `alias` (the location prefix replaced), `index` files for directories,
 * `try_files` candidates then a fallback (=CODE, or a URI matched again, e.g. the SPA's
 * /index.html). Responses carry ETag (nginx's mtime-size form) and Last-Modified and
 * honour If-None-Match / If-Modified-Since (304) and single byte ranges (206). $uri is
 * already normalized (no `..`), and every resolved path is checked to stay under the root.
 */
export async function resolveStatic(context: RequestContext, location: RuntimeLocation): Promise<StaticOutcome> {
  const settings = location.settings;
  const base = settings.alias ?? settings.root;
  if (base === null) return { kind: 'status', code: 404 };
  const tryFiles = settings.tryFiles;
  if (tryFiles !== null) {
    for (const candidate of location.tryFiles) {
      const uri = expandCandidate(candidate, context);
      if (uri === null) continue;
      if (uri.endsWith('/')) {
        const directory = filePath(base, uri, settings, location.prefix);
        if (directory !== null && (await isDirectory(directory))) {
          const index = await findIndex(directory, settings);
          if (index !== null) return { kind: 'file', file: index };
        }
        continue;
      }
      const file = filePath(base, uri, settings, location.prefix);
      if (file !== null && (await isFile(file))) return { kind: 'file', file };
    }
    return 'code' in tryFiles.fallback
      ? { kind: 'status', code: tryFiles.fallback.code }
      : { kind: 'internal', uri: tryFiles.fallback.uri };
  }
  const file = filePath(base, context.uri, settings, location.prefix);
  if (file === null) return { kind: 'status', code: 404 };
  if (context.uri.endsWith('/')) {
    const index = await findIndex(file, settings);
    return index === null ? { kind: 'status', code: (await isDirectory(file)) ? 403 : 404 } : { kind: 'file', file: index };
  }
  const info = await stat(file).catch(() => null);
  if (info === null) return { kind: 'status', code: 404 };
  if (info.isDirectory()) return { kind: 'slash' };
  return info.isFile() ? { kind: 'file', file } : { kind: 'status', code: 404 };
}

/** Sends a file found by resolveStatic, with validators, ranges and cache headers. */
export async function sendFile(context: RequestContext, location: RuntimeLocation, file: string): Promise<void> {
  let handle: FileHandle | null = null;
  try {
    handle = await open(file, 'r');
    const info = await handle.stat();
    if (!info.isFile()) {
      await handle.close();
      context.respond(404, '404 Not Found\n');
      return;
    }
    if (context.closed) {
      await handle.close();
      return;
    }
    const settings = location.settings;
    const req = context.req;
    const res = context.res;
    const mtimeSeconds = Math.floor(info.mtimeMs / 1000);
    const etag = `"${mtimeSeconds.toString(16)}-${info.size.toString(16)}"`;
    const lastModified = new Date(mtimeSeconds * 1000).toUTCString();
    const headers: string[] = ['Last-Modified', lastModified, 'Accept-Ranges', 'bytes'];
    if (settings.etag) headers.push('ETag', etag);

    if (notModified(req.headers['if-none-match'], req.headers['if-modified-since'], settings.etag ? etag : null, mtimeSeconds)) {
      await handle.close();
      finish(context, location, 304, headers, 0);
      return;
    }
    const ifRange = req.headers['if-range'];
    const range = parseRange(req.headers.range, typeof ifRange === 'string' ? ifRange : undefined, etag, lastModified, info.size);
    if (range === 'unsatisfiable') {
      await handle.close();
      headers.push('Content-Range', `bytes */${info.size}`);
      context.respond(416, '416 Range Not Satisfiable\n', undefined, headers);
      return;
    }
    headers.push('Content-Type', mediaType(file, settings.types, settings.defaultType));
    const start = range === null ? 0 : range.start;
    const end = range === null ? info.size - 1 : range.end;
    const length = info.size === 0 ? 0 : end - start + 1;
    headers.push('Content-Length', String(length));
    if (range !== null) headers.push('Content-Range', `bytes ${start}-${end}/${info.size}`);
    const status = range === null ? 200 : 206;
    if (req.method === 'HEAD' || length === 0) {
      await handle.close();
      finish(context, location, status, headers, 0);
      return;
    }
    const stream = handle.createReadStream({ start, end, autoClose: true });
    handle = null;
    finish(context, location, status, headers, length);
    stream.on('error', () => res.destroy());
    res.on('close', () => stream.destroy());
    stream.pipe(res);
  } catch (error) {
    if (handle !== null) await handle.close().catch(() => undefined);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') context.respond(404, '404 Not Found\n');
    else if (code === 'EACCES') context.respond(403, '403 Forbidden\n');
    else context.respond(500, '500 Internal Server Error\n');
  }
}

/** Writes the status line and headers (with expires and add_header); a body of `length` bytes follows, if any. */
function finish(context: RequestContext, location: RuntimeLocation, status: number, headers: string[], length: number): void {
  const settings = location.settings;
  if (ADD_HEADER_STATUSES.has(status)) appendExpires(headers, settings.expires);
  location.responseHeaders.appendTo(headers, status, context);
  headers.push('X-Request-Id', context.requestId);
  context.status = status;
  context.bytesSent = length;
  context.res.writeHead(context.res.statusOverride !== 0 ? context.res.statusOverride : status, headers);
  if (status === 304 || length === 0 || context.req.method === 'HEAD') context.res.end();
}

function appendExpires(headers: string[], expires: HttpSettings['expires']): void {
  switch (expires.kind) {
    case 'off':
      return;
    case 'epoch':
      headers.push('Expires', EXPIRES_EPOCH, 'Cache-Control', 'no-cache');
      return;
    case 'max':
      headers.push('Expires', EXPIRES_MAX, 'Cache-Control', 'max-age=315360000');
      return;
    case 'after':
      headers.push('Expires', new Date(Date.now() + expires.ms).toUTCString(), 'Cache-Control', `max-age=${Math.floor(expires.ms / 1000)}`);
  }
}

/** If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2). */
export function notModified(
  ifNoneMatch: string | undefined,
  ifModifiedSince: string | undefined,
  etag: string | null,
  mtimeSeconds: number,
): boolean {
  if (ifNoneMatch !== undefined) {
    if (etag === null) return false;
    const bare = etag.replace(/^W\//, '');
    return ifNoneMatch.trim() === '*' || ifNoneMatch.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === bare);
  }
  if (ifModifiedSince !== undefined) {
    const since = Date.parse(ifModifiedSince);
    return Number.isFinite(since) && mtimeSeconds * 1000 <= since;
  }
  return false;
}

/** A single `bytes=` range (multipart ranges are answered with the whole file, as allowed). */
export function parseRange(
  header: string | undefined,
  ifRange: string | undefined,
  etag: string,
  lastModified: string,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | null {
  if (header === undefined || !header.startsWith('bytes=')) return null;
  if (ifRange !== undefined && ifRange !== etag && ifRange !== lastModified) return null;
  const spec = header.slice(6).trim();
  if (spec.includes(',')) return null;
  const match = /^(\d*)-(\d*)$/.exec(spec);
  if (!match || (match[1] === '' && match[2] === '')) return null;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

/** The file for `uri` under root (root + uri) or alias (prefix replaced), or null if it would leave the base. */
export function filePath(base: string, uri: string, settings: HttpSettings, prefix: string): string | null {
  const relative = settings.alias !== null ? uri.slice(prefix.length) : uri;
  const joined = path.join(base, relative);
  const root = base.endsWith(path.sep) ? base : base + path.sep;
  if (joined !== base && !joined.startsWith(root) && `${joined}${path.sep}` !== root) return null;
  return uri.endsWith('/') && !joined.endsWith(path.sep) ? joined + path.sep : joined;
}

/**
 * A try_files candidate for this request (null when it is not a clean path). $uri is already
 * decoded: the value is a file path as it stands, never decoded again (nginx decodes once).
 */
export function expandCandidate(candidate: Template, context: VariableContext): string | null {
  const value = candidate.evaluate(context);
  const normalized = resolveSegments(value);
  if (normalized === null) return null;
  return value.endsWith('/') && !normalized.endsWith('/') ? `${normalized}/` : normalized;
}

async function findIndex(directory: string, settings: HttpSettings): Promise<string | null> {
  for (const name of settings.index) {
    const candidate = path.join(directory, name);
    if (await isFile(candidate)) return candidate;
  }
  return null;
}

async function isFile(file: string): Promise<boolean> {
  const info = await stat(file).catch(() => null);
  return info !== null && info.isFile();
}

async function isDirectory(file: string): Promise<boolean> {
  const info = await stat(file).catch(() => null);
  return info !== null && info.isDirectory();
}

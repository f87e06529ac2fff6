/**
 * nginx's $uri: the request path with %XX decoded, repeated slashes merged and `.`/`..`
 * resolved. Locations match against it (so `/./admin` cannot dodge `location /admin`) and
 * static files are looked up by it. Returns null for a path that is malformed or climbs
 * above `/` (the caller answers 400, as nginx does).
 */
export function normalizePath(rawPath: string): string | null {
  if (rawPath.charCodeAt(0) !== 47 /* / */) return null;
  // Fast path: nothing to decode, merge or resolve.
  if (rawPath.indexOf('%') === -1 && rawPath.indexOf('/.') === -1 && rawPath.indexOf('//') === -1) return rawPath;
  let decoded = rawPath;
  if (rawPath.indexOf('%') !== -1) {
    try {
      decoded = decodeURIComponent(rawPath);
    } catch {
      return null;
    }
    if (decoded.indexOf('\0') !== -1) return null;
  }
  return resolveSegments(decoded);
}

/**
 * A path that is already decoded (a $uri, a try_files candidate made from it) with `//`
 * merged and `.`/`..` resolved, and no `%XX` decoding: decoding it again would turn an
 * encoded `%252e%252e` into a `..` that climbs (nginx decodes once). Null if it climbs above `/`.
 */
export function resolveSegments(decoded: string): string | null {
  if (decoded.charCodeAt(0) !== 47 /* / */) return null;
  if (decoded.indexOf('/.') === -1 && decoded.indexOf('//') === -1) return decoded;
  const segments: string[] = [];
  const parts = decoded.split('/');
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i];
    const last = i === parts.length - 1;
    if (part === '' || part === '.') {
      if (last) segments.push('');
      continue;
    }
    if (part === '..') {
      if (segments.length === 0) return null;
      segments.pop();
      if (last) segments.push('');
      continue;
    }
    segments.push(part);
  }
  return `/${segments.join('/')}`;
}

/** Splits a request target into its path and the `?query` (kept with its `?`). */
export function splitTarget(url: string): { path: string; query: string } {
  const question = url.indexOf('?');
  return question === -1 ? { path: url, query: '' } : { path: url.slice(0, question), query: url.slice(question) };
}

/**
 * The origin-form target of a request line: `/path?q` as is; an absolute-form
 * `http://host/path?q` (proxies' form, which servers must accept) reduced to `/path?q`.
 * Null for anything else (`*`, authority-form): those are not served.
 */
export function originForm(url: string): string | null {
  if (url.charCodeAt(0) === 47) return url;
  const match = /^https?:\/\/[^/?#]*/i.exec(url);
  if (!match) return null;
  const rest = url.slice(match[0].length);
  return rest === '' || rest[0] === '?' ? `/${rest}` : rest;
}

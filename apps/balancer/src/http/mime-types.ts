import { contentType } from 'mime-types';

/**
 * The media type of a static file by its extension: a `types { }` block of the config first
 * (as nginx's), then the mime-types package (mime-db, the table Express and most Node servers
 * use, with `charset=utf-8` on text types), so a config works without nginx's
 * `include mime.types;`. Anything unknown gets the fallback (`default_type`).
 */
export function mediaType(file: string, types: Readonly<Record<string, string>>, fallback: string): string {
  const slash = file.lastIndexOf('/');
  const dot = file.lastIndexOf('.');
  if (dot <= slash + 1) return fallback;
  const extension = file.slice(dot + 1).toLowerCase();
  return types[extension] ?? (contentType(extension) || fallback);
}

/**
 * Opaque keyset-pagination cursors: the sort key of the last row of a page, as base64url JSON.
 * Clients pass them back unchanged (`after=`); a page is then "rows after this key", which
 * stays exact when rows are added meanwhile and costs the same on page 1,000 as on page 1,
 * unlike OFFSET.
 */
export function encodeCursor(key: ReadonlyArray<string | number>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** The key in `cursor`, or undefined when it is not one of ours (the caller answers 400). */
export function decodeCursor(cursor: string, shape: ReadonlyArray<'string' | 'number'>): Array<string | number> | undefined {
  if (!/^[A-Za-z0-9_-]{1,512}$/.test(cursor)) return undefined;
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (!Array.isArray(key) || key.length !== shape.length) return undefined;
    return key.every((value, index) => typeof value === shape[index]) ? (key as Array<string | number>) : undefined;
  } catch {
    return undefined;
  }
}

import type { LocationMatch } from '../config/schema';

interface Entry<T> {
  match: LocationMatch;
  value: T;
  regex: RegExp | null;
}

/**
 * nginx's location selection: an exact `=` match wins; otherwise the longest prefix is
 * remembered, and if it is `^~` it wins; otherwise regex locations are tried in the order
 * written and the first match wins; otherwise the longest prefix.
 */
export class LocationRouter<T> {
  readonly #exact = new Map<string, T>();
  /** Longest first, so the first hit is the longest. */
  readonly #prefixes: Array<Entry<T>>;
  readonly #regexes: Array<Entry<T>>;

  constructor(entries: ReadonlyArray<{ match: LocationMatch; value: T }>) {
    const prefixes: Array<Entry<T>> = [];
    const regexes: Array<Entry<T>> = [];
    for (const { match, value } of entries) {
      if (match.kind === 'named') continue; // reached only by error_page
      if (match.kind === 'exact') this.#exact.set(match.path, value);
      else if (match.kind === 'prefix') prefixes.push({ match, value, regex: null });
      else regexes.push({ match, value, regex: new RegExp(match.path, match.caseInsensitive ? 'i' : '') });
    }
    this.#prefixes = prefixes.sort((a, b) => b.match.path.length - a.match.path.length);
    this.#regexes = regexes;
  }

  match(uri: string): T | null {
    if (this.#exact.size > 0) {
      const exact = this.#exact.get(uri);
      if (exact !== undefined) return exact;
    }
    let prefix: Entry<T> | null = null;
    const prefixes = this.#prefixes;
    for (let i = 0; i < prefixes.length; i++) {
      if (uri.startsWith(prefixes[i].match.path)) {
        prefix = prefixes[i];
        break;
      }
    }
    if (prefix !== null && prefix.match.kind === 'prefix' && prefix.match.stopRegex) return prefix.value;
    const regexes = this.#regexes;
    for (let i = 0; i < regexes.length; i++) {
      if ((regexes[i].regex as RegExp).test(uri)) return regexes[i].value;
    }
    return prefix === null ? null : prefix.value;
  }
}

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A number the docs quote from a result names its file and field, as a Markdown link whose
 * title (in double or single quotes) is the field's path in the JSON:
 *
 *     [94.5%](../../tools/lab/results/cache.json "measurements.result.reduction_percent")
 *
 * A reader clicks through to the file; this module finds every such link so a test can check
 * that the number shown is the number in the file (a rerun that changes it fails the test until
 * the docs say the new one).
 */
export interface QuotedNumber {
  /** The document and line the link is on. */
  doc: string;
  line: number;
  /** The link's text, e.g. "94.5%". */
  text: string;
  /** The result file, resolved from the document's folder. */
  file: string;
  /** Dotted path into the JSON ("measurements.cache on.p99_ms"); keys may contain spaces. */
  field: string;
}

const RESULT_LINK = /\[([^\]]+)\]\(((?:[^)\s]*\/)?results\/[^)\s]+\.json)\s+(?:"([^"]+)"|'([^']+)')\)/g;

export function quotedNumbers(doc: string, markdown = readFileSync(doc, 'utf8')): QuotedNumber[] {
  const found: QuotedNumber[] = [];
  for (const [index, line] of markdown.split('\n').entries()) {
    for (const match of line.matchAll(RESULT_LINK)) {
      found.push({ doc, line: index + 1, text: match[1], file: path.resolve(path.dirname(doc), match[2]), field: match[3] ?? match[4] });
    }
  }
  return found;
}

/** What is wrong with one quoted number, or null when the docs say what the file says. */
export function checkQuotedNumber(quote: QuotedNumber): string | null {
  const where = `${path.basename(quote.doc)}:${quote.line} "${quote.text}"`;
  if (!existsSync(quote.file)) return `${where}: ${quote.file} does not exist`;
  const value = fieldOf(JSON.parse(readFileSync(quote.file, 'utf8')) as unknown, quote.field);
  if (value === undefined) return `${where}: ${path.basename(quote.file)} has no field "${quote.field}"`;
  const shown = firstNumber(quote.text);
  if (shown === null) return `${where}: the link text shows no number`;
  const actual = typeof value === 'number' ? value : (firstNumber(String(value))?.value ?? null);
  if (actual === null) return `${where}: "${quote.field}" in ${path.basename(quote.file)} is not a number (${JSON.stringify(value)})`;
  // The docs round: a number shown with d decimals matches the file's value rounded to d.
  const rounded = Number(actual.toFixed(shown.decimals));
  return rounded === shown.value
    ? null
    : `${where}: ${path.basename(quote.file)} says ${quote.field} = ${actual}, which the docs would show as ${rounded.toFixed(shown.decimals)}`;
}

/** The value at a dotted path; a key may itself contain dots only if no shorter key matches. */
export function fieldOf(document: unknown, field: string): unknown {
  let current: unknown = document;
  let rest = field;
  while (rest !== '') {
    if (typeof current !== 'object' || current === null) return undefined;
    const record = current as Record<string, unknown>;
    const key = Object.keys(record)
      .filter((candidate) => rest === candidate || rest.startsWith(`${candidate}.`))
      .sort((a, b) => a.length - b.length)[0];
    if (key === undefined) return undefined;
    current = record[key];
    rest = rest.slice(key.length + 1);
  }
  return current;
}

/** The first number in a text ("1,000,000 rows", "0.41x", "p99 44.5 ms" gives 99: link only the number). */
export function firstNumber(text: string): { value: number; decimals: number } | null {
  const match = /-?\d[\d,]*(?:\.(\d+))?/.exec(text);
  if (!match) return null;
  return { value: Number(match[0].replaceAll(',', '')), decimals: match[1]?.length ?? 0 };
}

/** A CSV cell value: numbers as written, text quoted when it must be. */
export type CsvValue = string | number;

/** Cells a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR) when they are text. */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV line (RFC 4180, CRLF). Text is quoted when it holds a comma, quote or line break,
 * and text starting like a formula gets a leading `'` so opening the file never runs it.
 */
export function csvLine(values: readonly CsvValue[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}

export function csvCell(value: CsvValue): string {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** 123456 -> `1234.56`: cents as a decimal amount. */
export function centsToAmount(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/**
 * Parses the shop's CSV files (RFC 4180 as the reports write it: quoted cells with doubled
 * quotes, CRLF line ends) into rows of cells, the header row first. Enough for checking those
 * files in tests, not a general CSV reader (no line breaks inside quoted cells).
 */
export function parseCsv(body: string): string[][] {
  return body
    .trimEnd()
    .split('\r\n')
    .map((line) =>
      [...line.matchAll(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)]
        .slice(0, -1)
        .map(([, cell]) => (cell.startsWith('"') ? cell.slice(1, -1).replace(/""/g, '"') : cell)),
    );
}

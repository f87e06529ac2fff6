/**
 * A PostgreSQL WAL position (pg_lsn, written `16/B374D848`) as a bigint, so positions compare
 * with `<` and subtract into a byte distance.
 */
export type Lsn = bigint;

const LSN_TEXT = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

/** The LSN in `text`, or undefined when it is not one (e.g. a tampered cookie). */
export function parseLsn(text: string | null | undefined): Lsn | undefined {
  if (!text) return undefined;
  const match = LSN_TEXT.exec(text.trim());
  if (!match) return undefined;
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/** PostgreSQL's own spelling, e.g. `0/42F0170`, accepted back by `'...'::pg_lsn`. */
export function formatLsn(lsn: Lsn): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

export function maxLsn(a: Lsn | undefined, b: Lsn | undefined): Lsn | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a > b ? a : b;
}

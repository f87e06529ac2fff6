import { formatLsn, maxLsn, parseLsn } from './wal-lsn';

describe('WAL positions', () => {
  it('parse and format round-trip in PostgreSQL spelling', () => {
    for (const text of ['0/0', '0/42F0170', '16/B374D848', 'FFFFFFFF/FFFFFFFF']) expect(formatLsn(parseLsn(text)!)).toBe(text);
  });

  it('order like the log they point into', () => {
    expect(parseLsn('0/FFFFFFFF')! < parseLsn('1/0')!).toBe(true);
    expect(parseLsn('1/10')! - parseLsn('1/0')!).toBe(16n);
    expect(maxLsn(parseLsn('2/0'), parseLsn('1/FF'))).toBe(parseLsn('2/0'));
    expect(maxLsn(undefined, parseLsn('1/0'))).toBe(parseLsn('1/0'));
  });

  it('refuse anything that is not an LSN', () => {
    for (const text of ['', '12', '0/', '/1', 'G/1', '0/123456789', '1/2; DROP TABLE x', undefined, null])
      expect(parseLsn(text)).toBeUndefined();
  });
});

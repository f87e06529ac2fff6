import { centsToAmount, csvCell, csvLine } from './csv';

describe('CSV', () => {
  it('writes RFC 4180 lines: CRLF, quotes only when needed, quotes doubled', () => {
    expect(csvLine(['day', 'currency', 3, 1250])).toBe('day,currency,3,1250\r\n');
    expect(csvCell('Mug, large')).toBe('"Mug, large"');
    expect(csvCell('the "best" mug')).toBe('"the ""best"" mug"');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
  });

  it('defuses text a spreadsheet would run as a formula', () => {
    expect(csvCell('=HYPERLINK("http://evil")')).toBe(`"'=HYPERLINK(""http://evil"")"`);
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell(-5)).toBe('-5');
  });

  it('formats cents as an amount', () => {
    expect(centsToAmount(123456)).toBe('1234.56');
    expect(centsToAmount(5)).toBe('0.05');
    expect(centsToAmount(0)).toBe('0.00');
    expect(centsToAmount(-250)).toBe('-2.50');
  });
});

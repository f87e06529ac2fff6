import { parseCsv } from './csv';

describe('parseCsv', () => {
  it('splits CRLF lines into cells, quoted cells with commas and doubled quotes included', () => {
    const body = 'product,name,units\r\n1,"Mug, large",2\r\n2,"The ""best"" pen",1\r\n';
    expect(parseCsv(body)).toEqual([
      ['product', 'name', 'units'],
      ['1', 'Mug, large', '2'],
      ['2', 'The "best" pen', '1'],
    ]);
  });
});

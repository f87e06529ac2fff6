import { parseRange } from './byte-range';

describe('parseRange', () => {
  const size = 1000;

  it.each([
    ['bytes=0-99', { start: 0, end: 99 }],
    ['bytes=500-', { start: 500, end: 999 }],
    ['bytes=-100', { start: 900, end: 999 }],
    ['bytes=990-5000', { start: 990, end: 999 }],
    ['bytes=-5000', { start: 0, end: 999 }],
    [' bytes = 10 - 20 ', { start: 10, end: 20 }],
  ])('reads %s', (header, range) => {
    expect(parseRange(header, size)).toEqual({ kind: 'partial', range });
  });

  it.each([[undefined], [''], ['bytes=0-1,5-9'], ['items=0-5'], ['bytes=-'], ['bytes=20-10']])(
    'answers %j with the whole object',
    (header) => {
      expect(parseRange(header, size)).toEqual({ kind: 'full' });
    },
  );

  it.each([['bytes=1000-'], ['bytes=5000-6000'], ['bytes=-0']])('refuses %s as unsatisfiable', (header) => {
    expect(parseRange(header, size)).toEqual({ kind: 'unsatisfiable' });
  });

  it('finds nothing to send from an empty object', () => {
    expect(parseRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-10', 0)).toEqual({ kind: 'unsatisfiable' });
  });
});

import { interleaved, median, quote, roundsFor, roundsNote, summarize } from './repeats';

describe('repeats', () => {
  it('runs the variants interleaved, round after round', async () => {
    const order: string[] = [];
    const runs = await interleaved(3, ['off', 'on'] as const, async (variant, round) => {
      order.push(`${variant}${round}`);
      return round * (variant === 'on' ? 10 : 1);
    });
    expect(order).toEqual(['off1', 'on1', 'off2', 'on2', 'off3', 'on3']);
    expect(runs).toEqual({ off: [1, 2, 3], on: [10, 20, 30] });
  });

  it('keeps each number under its key as the median, with its spread and the round count', () => {
    const row = summarize([
      { p99_ms: 30, errors: 0, statuses: '200:10' },
      { p99_ms: 10, errors: 2, statuses: '200:10' },
      { p99_ms: 20, errors: 1, statuses: '200:9 503:1' },
    ]);
    expect(row).toEqual({
      p99_ms: 20,
      p99_ms_min: 10,
      p99_ms_max: 30,
      errors: 1,
      errors_min: 0,
      errors_max: 2,
      statuses: '200:10 | 200:10 | 200:9 503:1',
      rounds: 3,
    });
  });

  it('adds no spread for a single run, and only to the keys asked for', () => {
    expect(summarize([{ p99_ms: 12.5, label: 'x' }])).toEqual({ p99_ms: 12.5, label: 'x', rounds: 1 });
    expect(
      summarize(
        [
          { a: 1, b: 1 },
          { a: 3, b: 5 },
          { a: 2, b: 9 },
        ],
        { spreadOf: ['a'] },
      ),
    ).toEqual({ a: 2, a_min: 1, a_max: 3, b: 5, rounds: 3 });
  });

  it('treats a field that is sometimes text (e.g. "never") as text', () => {
    expect(summarize([{ s: 5.2 }, { s: 'never' }, { s: 4.8 }]).s).toBe('5.2 | never | 4.8');
  });

  it('takes the median of an even count as the mean of the middle two, without float noise', () => {
    expect(median([0.1, 0.2])).toBe(0.15);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBe(0);
  });

  it('quotes a figure with its spread', () => {
    const row = summarize([{ p99_ms: 2043 }, { p99_ms: 1950 }, { p99_ms: 2210 }]);
    expect(quote(row, 'p99_ms', 'ms')).toBe('2,043 ms (1,950-2,210)');
    expect(quote(summarize([{ x: 1 }]), 'x')).toBe('1');
    expect(roundsNote(3)).toBe('median of 3 rounds, spread in brackets');
    expect(roundsNote(1)).toBe('1 round');
  });

  it('asks for at least 3 rounds for a measurement, 1 in quick mode', () => {
    const context = (quick: boolean, rounds?: number) => ({ quick, option: (_name: string, fallback: number) => rounds ?? fallback });
    expect(roundsFor(context(false))).toBe(3);
    expect(roundsFor(context(true))).toBe(1);
    expect(roundsFor(context(false, 5))).toBe(5);
    expect(() => roundsFor(context(false, 2))).toThrow(/at least 3 rounds/);
  });
});

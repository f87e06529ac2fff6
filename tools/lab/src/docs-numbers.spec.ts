import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkQuotedNumber, fieldOf, firstNumber, quotedNumbers } from './docs-numbers';

const ROOT = path.resolve(__dirname, '../../..');

/** README.md, and every Markdown file under docs/ and the results folders. */
function docs(): string[] {
  const found = [path.join(ROOT, 'README.md')];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.md')) found.push(full);
    }
  };
  for (const dir of ['docs', 'tools/lab', 'tools/load/results']) walk(path.join(ROOT, dir));
  return found;
}

describe('numbers the docs quote from results', () => {
  const quotes = docs().flatMap((doc) => quotedNumbers(doc));

  it('are what the result files say', () => {
    expect(quotes.map(checkQuotedNumber).filter((problem) => problem !== null)).toEqual([]);
  });

  it('include the headline of every pattern in the README', () => {
    const inReadme = new Set(
      quotes
        .filter((quote) => quote.doc.endsWith('README.md') && path.dirname(quote.doc) === ROOT)
        .map((quote) => path.basename(quote.file)),
    );
    for (const file of [
      'balancer-stop27-alone.json',
      'balancer-algorithms.json',
      'cache.json',
      'stampede.json',
      'queue.json',
      'indexes.json',
      'replica.json',
      'shards.json',
      'breaker.json',
      'browse-10000vu.json',
    ]) {
      expect(inReadme).toContain(file);
    }
  });
});

describe('the docs-number check itself', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tenk-docs-'));
  const result = path.join(dir, 'results', 'x.json');
  beforeAll(() => {
    mkdirSync(path.dirname(result));
    writeFileSync(
      result,
      JSON.stringify({
        measurements: { 'cache on': { p99_ms: 23.01, ratio: 0.447, label: '1,096 MiB' } },
        checks: [{ actual: '44.5 ms' }],
      }),
    );
  });
  const check = (markdown: string) => quotedNumbers(path.join(dir, 'doc.md'), markdown).map(checkQuotedNumber);

  it('accepts the number as the docs round it, with separators and units', () => {
    expect(
      check(
        'p99 [23 ms](results/x.json "measurements.cache on.p99_ms"), [0.45x](results/x.json "measurements.cache on.ratio"), [1,096 MiB](results/x.json "measurements.cache on.label"), [44.5](results/x.json "checks.0.actual")',
      ),
    ).toEqual([null, null, null, null]);
    // Prettier writes link titles in single quotes.
    expect(check("[0.4](results/x.json 'measurements.cache on.ratio')")).toEqual([null]);
  });

  it('names a number that is not what the file says, a missing field and a missing file', () => {
    const [wrong, missing, absent] = check(
      '[24 ms](results/x.json "measurements.cache on.p99_ms") [1](results/x.json "measurements.nope") [1](results/y.json "a")',
    );
    expect(wrong).toMatch(/says measurements\.cache on\.p99_ms = 23\.01, which the docs would show as 23$/);
    expect(missing).toMatch(/has no field "measurements\.nope"/);
    expect(absent).toMatch(/y\.json does not exist/);
  });

  it('reads paths with spaces and array indices, and numbers with separators', () => {
    expect(fieldOf({ a: { 'b c': [1, { d: 2 }] } }, 'a.b c.1.d')).toBe(2);
    expect(firstNumber('1,000,000 rows')).toEqual({ value: 1_000_000, decimals: 0 });
    expect(firstNumber('0.71 ms')).toEqual({ value: 0.71, decimals: 2 });
  });
});

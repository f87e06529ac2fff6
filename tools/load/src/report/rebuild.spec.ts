import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { asLoadResult, rebuildReports } from './rebuild';

const COMMITTED = path.resolve(__dirname, '..', '..', 'results', 'browse-10000vu.json');

describe('npm run load -- report', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tenk-load-report-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('rebuilds a run page from its JSON and lists every run in index.html', async () => {
    await copyFile(COMMITTED, path.join(dir, 'run-a.json'));
    const outcome = await rebuildReports(dir, []);
    expect(outcome.rebuilt.map((report) => path.basename(report.html))).toEqual(['run-a.html']);
    const page = await readFile(path.join(dir, 'run-a.html'), 'utf8');
    const result = JSON.parse(await readFile(COMMITTED, 'utf8')) as { settings: { vus: number } };
    expect(page).toContain(`${result.settings.vus.toLocaleString('en-US')} virtual users`);
    const index = await readFile(outcome.index, 'utf8');
    expect(index).toContain('<a href="run-a.html">');
  });

  it('skips files that are not load results, saying why, and escapes what it shows', async () => {
    await writeFile(path.join(dir, 'broken.json'), '{"tool": "tenk-load"');
    await writeFile(path.join(dir, 'other.json'), '{"tool": "something-else", "version": 1}');
    const hostile = JSON.parse(await readFile(COMMITTED, 'utf8')) as { name: string };
    hostile.name = '<script>alert(1)</script>';
    await writeFile(path.join(dir, 'hostile.json'), JSON.stringify(hostile));
    const outcome = await rebuildReports(dir, []);
    expect(outcome.skipped.map((skip) => [path.basename(skip.file), skip.reason])).toEqual([
      ['broken.json', expect.stringMatching(/^not JSON/)],
      ['other.json', 'not a tenk load result (no "tool": "tenk-load")'],
    ]);
    const index = await readFile(outcome.index, 'utf8');
    expect(index).not.toContain('<script>alert(1)</script>');
    expect(index).toContain('&lt;script&gt;');
  });

  it('names what is wrong with a result of another version', () => {
    expect(asLoadResult('{"tool":"tenk-load","version":2}')).toBe('result version 2 is not one this tool reads (1)');
    expect(asLoadResult('[]')).toBe('not a tenk load result (no "tool": "tenk-load")');
  });
});

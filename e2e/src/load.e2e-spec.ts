import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { shopUrl } from '../support/e2e-env';

const ROOT = path.resolve(__dirname, '../..');
const run = promisify(execFile);

interface LoadReport {
  summary: { requests: number; peakVus: number };
  endpoints: { name: string; deployed: boolean; statuses: Record<string, number> }[];
  memory: { idle: { groups: { name: string; kind: string }[]; shopRssBytes: number } | null };
  verdict: { checks: unknown[]; limit: string[] };
}

/**
 * A short smoke run of `npm run load` against the e2e shop: the command works end to end
 * (catalog discovery, browsing and buying users, the process monitor, both reports). The
 * numbers themselves belong to the committed runs under tools/load/results, not to a test.
 */
describe('npm run load (smoke run)', () => {
  let out: string;

  beforeAll(() => {
    out = mkdtempSync(path.join(os.tmpdir(), 'tenk-load-e2e-'));
  });

  afterAll(() => {
    rmSync(out, { recursive: true, force: true });
  });

  it('drives browsing and buying users through the balancer and writes JSON + HTML', async () => {
    const args = [
      '-r',
      path.join(ROOT, 'tools/register.cjs'),
      path.join(ROOT, 'tools/load/src/main.ts'),
      'mixed',
      '--mix',
      'browse=2,buy=1',
    ];
    args.push(
      '--url',
      shopUrl(),
      '--vus',
      '30',
      '--ramp',
      '2s',
      '--duration',
      '5s',
      '--think',
      'uniform:200ms-600ms',
      '--client-ips',
      '30',
      '--out',
      out,
      '--name',
      'smoke',
    );
    const { stdout } = await run(process.execPath, args, { cwd: ROOT, timeout: 110_000 });
    expect(stdout).toContain('wrote');

    const report = JSON.parse(readFileSync(path.join(out, 'smoke.json'), 'utf8')) as LoadReport;
    expect(report.summary.peakVus).toBe(30);
    expect(report.summary.requests).toBeGreaterThan(0);
    const names = report.endpoints.map((endpoint) => endpoint.name);
    expect(names).toEqual(expect.arrayContaining(['GET /products/:id', 'GET /products', 'POST /users']));
    const products = report.endpoints.find((endpoint) => endpoint.name === 'GET /products/:id');
    expect(products?.statuses['200']).toBeGreaterThan(0);
    const signUps = report.endpoints.find((endpoint) => endpoint.name === 'POST /users');
    expect(signUps?.statuses['201']).toBeGreaterThan(0);
    // The shop's own processes were found and measured (the e2e shop, by its balancer port).
    expect(report.memory.idle?.groups.some((group) => group.name.startsWith('api') && group.kind === 'shop')).toBe(true);
    expect(report.memory.idle?.shopRssBytes).toBeGreaterThan(0);
    expect(report.verdict.limit.length).toBeGreaterThan(0);

    const html = readFileSync(path.join(out, 'smoke.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('GET /products/:id');
  });
});

import type { LoadOptions } from '../cli/options';
import { parseOptions } from '../cli/options';
import { Random } from '../engine/random';
import { RunStats } from '../engine/stats';
import type { MemorySnapshot } from '../monitor/process-monitor';
import { buildResult } from '../run-load';
import { Catalog } from '../scenarios/catalog';
import { explainErrors, findLimit, quietWindows, targetChecks } from './analysis';
import { formatSummary } from './console-summary';
import { renderHtmlReport } from './html-report';
import type { TimelinePoint } from './load-result';
import { renderLineChart, niceTicks } from '@tenk/lab';

const MiB = 2 ** 20;

function snapshot(label: string, shopMiB: number): MemorySnapshot {
  return {
    label,
    t: 0,
    groups: [
      { name: 'api-1', kind: 'shop', processes: 1, rssBytes: (shopMiB / 2) * MiB, pssBytes: (shopMiB / 3) * MiB },
      { name: 'postgres-primary', kind: 'shop', processes: 9, rssBytes: (shopMiB / 2) * MiB, pssBytes: (shopMiB / 4) * MiB },
      { name: 'load generator', kind: 'harness', processes: 1, rssBytes: 150 * MiB, pssBytes: 100 * MiB },
    ],
    shopRssBytes: shopMiB * MiB,
    shopPssBytes: ((shopMiB * 7) / 12) * MiB,
  };
}

/** A run of 3 s: one second of ramp-up, two at full load, with an api at 97% CPU. */
function sampleRun() {
  const options = parseOptions(['browse', '--vus', '100', '--ramp', '1s', '--duration', '2s', '--note', 'unit <test>']) as LoadOptions;
  const stats = new RunStats();
  const product = stats.endpoint('GET /products/:id');
  const orders = stats.endpoint('POST /orders', true);
  for (let i = 0; i < 50; i++) stats.record(product, 5_000 + i * 100, '200', false, 512);
  stats.phase = 'hold';
  for (let i = 0; i < 200; i++) stats.record(product, 10_000 + i * 1_000, '200', false, 512);
  stats.record(product, 30_000, '502', true, 100);
  product.samples.set('502', '502 Bad Gateway: <no live peer>');
  stats.recordNotDeployed(orders);
  stats.journey('order: first attempt -> placed', 120_000);
  const point = (t: number, phase: TimelinePoint['phase'], api: number): TimelinePoint => ({
    t,
    phase,
    vus: phase === 'ramp' ? 50 : 100,
    inFlight: 3,
    requests: 100,
    errors: t === 3 ? 1 : 0,
    p50: 10,
    p95: 150,
    p99: 210,
    max: 230,
    generatorCpu: 12,
    eventLoopP99: 11,
    cpu: { 'api-1': api, 'postgres-primary': 40, 'load generator': 12 },
    machineCpu: 170,
    otherCpu: 25,
    shopRssBytes: 900 * MiB,
  });
  const timeline = [point(1, 'ramp', 50), point(2, 'hold', 96), point(3, 'hold', 98)];
  const products = Array.from({ length: 40 }, (_, i) => ({
    id: String(i + 1),
    name: `Sturdy Mug ${i + 1}`,
    category: i % 2 ? 'kitchen' : 'garden',
  }));
  return buildResult({
    options,
    url: 'http://127.0.0.1:28080',
    shop: null,
    stats,
    timing: {
      startedAt: new Date('2026-11-28T10:00:00Z'),
      finishedAt: new Date('2026-11-28T10:00:04Z'),
      holdMs: 2_000,
      stoppedEarly: false,
      abandoned: 0,
      timeline,
    },
    timeline,
    catalog: new Catalog(products, new Random(1), 1),
    uploadBytes: null,
    idle: snapshot('idle', 800),
    load: snapshot('load', 1_000),
    peakRss: 1_010 * MiB,
    peakVus: 100,
    kinds: new Map([
      ['api-1', 'shop'],
      ['postgres-primary', 'shop'],
      ['load generator', 'harness'],
    ]),
    notes: [],
    loadBefore: [0.5, 0.4, 0.3],
    loadAfter: [1.5, 0.8, 0.4],
  });
}

describe('the run result', () => {
  const result = sampleRun();

  it('summarises the hold apart from the ramp-up, and errors over the whole run', () => {
    expect(result.summary.requests).toBe(251);
    expect(result.summary.errors).toBe(1);
    expect(result.summary.holdSeconds).toBe(2);
    expect(result.summary.throughput).toBe(100.5);
    // Hold latencies run from 10 ms to 209 ms: p50 near 110 ms, not the ramp's 5 ms.
    expect(result.summary.latency.p50).toBeGreaterThan(105);
    expect(result.summary.latency.p50).toBeLessThan(111);
    expect(result.summary.latencyAll.p50).toBeLessThan(result.summary.latency.p50);
    expect(result.summary.notDeployed).toBe(1);
    const product = result.endpoints.find((endpoint) => endpoint.name === 'GET /products/:id');
    expect(product).toMatchObject({ requests: 251, errors: 1, statuses: { '200': 250, '502': 1 }, failures: { '502': 1 } });
    const orders = result.endpoints.find((endpoint) => endpoint.name === 'POST /orders');
    expect(orders).toMatchObject({ deployed: false, requests: 0, notDeployed: 1 });
    expect(result.notes.join(' ')).toContain('POST /orders is not deployed');
    expect(result.journeys[0]).toMatchObject({ name: 'order: first attempt -> placed', count: 1 });
  });

  it('checks the targets and says where the limit is', () => {
    const checks = Object.fromEntries(result.verdict.checks.map((check) => [check.name, check.met]));
    expect(checks['p99 latency at full load']).toBe(false);
    expect(checks['errors']).toBe(false);
    expect(checks['virtual users reached']).toBe(true);
    expect(checks['shop memory under load, RSS of every process summed']).toBe(true);
    expect(result.verdict.limit.join('\n')).toContain('api-1 ran at 97% of one core');
    expect(result.cpu[0]).toMatchObject({ name: 'api-1', average: 97, peak: 98 });
    expect(result.cpu.filter((usage) => usage.name === 'load generator')).toHaveLength(1);
    expect(result.conditions.otherCpuDuringHold).toBe(25);
    expect(result.histograms.hold.count).toBe(201);
    expect(result.verdict.errors).toEqual([
      expect.stringContaining('1 of the 1 errors were 502 ("502 Bad Gateway: <no live peer>"): the balancer had no api instance'),
    ]);
    expect(result.verdict.quiet).toBeNull();
  });

  it('renders a self-contained HTML page with charts, tables and escaped text', () => {
    const html = renderHtmlReport(result);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.match(/<svg /g)?.length).toBe(5);
    expect(html).not.toMatch(/<script|<link|src="http/);
    // Its only links are to this machine's trace pages.
    expect(html.match(/href="http[^"]*"/g)?.every((link) => link.startsWith('href="http://127.0.0.1:')) ?? true).toBe(true);
    expect(html).toContain('GET /products/:id');
    expect(html).toContain('not deployed');
    expect(html).toContain('502 Bad Gateway: &lt;no live peer&gt;');
    expect(html).toContain('unit &lt;test&gt;');
    expect(html).not.toContain('<no live peer>');
    expect(html).toContain('1,000 MiB');
  });

  it('lists the slowest requests with links to their traces, and says which ones Jaeger did not keep', () => {
    const slow = (traceId: string | null, inJaeger: boolean | null, latencyMs: number) => ({
      endpoint: 'POST /orders',
      outcome: '201',
      latencyMs,
      atSeconds: 12.5,
      traceId,
      sampled: false,
      traceUrl: traceId === null ? null : `http://127.0.0.1:8082/traces/${traceId}`,
      inJaeger,
    });
    const kept = '4bf92f3577b34da6a3ce929d0e0e4736';
    const dropped = '5bf92f3577b34da6a3ce929d0e0e4736';
    const withSlowest = { ...result, slowest: [slow(kept, true, 950), slow(dropped, false, 900), slow(null, null, 800)] };
    const html = renderHtmlReport(withSlowest);
    expect(html).toContain(`<a href="http://127.0.0.1:8082/traces/${kept}">${kept}</a>`);
    expect(html).toContain(`${dropped}: not kept (not sampled, did not fail)`);
    expect(html).toContain('no trace id (tracing off)');
    const text = formatSummary(withSlowest);
    expect(text).toContain(`POST /orders 201 in 950 ms at 12.5 s: http://127.0.0.1:8082/traces/${kept}`);
    expect(text).toContain(`trace ${dropped} not kept`);
  });

  it('prints a summary table for the terminal', () => {
    const text = formatSummary(result);
    expect(text).toContain('at full load (hold, 2 s): 100.5 responses/s');
    expect(text).toMatch(/GET \/products\/:id\s+251\s+1\s+100\.5/);
    expect(text).toContain('MISSED p99 latency at full load');
    expect(text).toContain('shop memory: idle 800 MiB RSS');
  });
});

describe('findLimit', () => {
  const base = { cores: 2, generatorEventLoopP99Max: 5, checksMet: true };

  it('names a saturated machine and a saturated single-threaded process', () => {
    const lines = findLimit({
      ...base,
      checksMet: false,
      machineCpu: 196,
      cpu: [
        { name: 'balancer', kind: 'shop', average: 91, peak: 99 },
        { name: 'postgres-primary', kind: 'shop', average: 95, peak: 120 },
        { name: 'load generator', kind: 'harness', average: 9, peak: 12 },
      ],
    });
    expect(lines.join('\n')).toContain("The machine's CPU was the limit");
    expect(lines.join('\n')).toContain('balancer ran at 91% of one core');
    // PostgreSQL uses a process per connection: 95% of one core is not its ceiling.
    expect(lines.join('\n')).not.toContain('postgres-primary ran at');
  });

  it('says when nothing was saturated, and when the generator waited for a CPU', () => {
    expect(findLimit({ ...base, machineCpu: 80, cpu: [{ name: 'api-1', kind: 'shop', average: 40, peak: 50 }] }).join('\n')).toContain(
      'the shop had CPU to spare',
    );
    const delayed = findLimit({
      ...base,
      generatorEventLoopP99Max: 300,
      machineCpu: 199,
      cpu: [{ name: 'load generator', kind: 'harness', average: 10, peak: 12 }],
    });
    expect(delayed.join('\n')).toContain('its event loop was late by up to 300 ms');
  });

  it('checks memory both as summed RSS and as summed PSS', () => {
    const checks = targetChecks({
      p99Ms: 50,
      targetP99Ms: 200,
      errors: 0,
      requests: 10,
      shopRssBytes: 2_000 * MiB,
      shopPssBytes: 1_200 * MiB,
      memoryTargetBytes: 1_536 * MiB,
      vusReached: 5,
      vus: 5,
    });
    expect(checks.map((check) => check.met)).toEqual([true, true, true, false, true]);
  });
});

describe('error and quiet-window analysis', () => {
  it('ranks failures by count, with what they usually mean', () => {
    const endpoint = (failures: Record<string, number>, errorSamples: Record<string, string>) => ({
      name: 'x',
      optional: false,
      deployed: true,
      requests: 0,
      errors: 0,
      notDeployed: 0,
      statuses: { '200': 90, ...failures },
      failures,
      throughput: 0,
      latency: { p50: 0, p95: 0, p99: 0, max: 0, mean: 0 },
      latencyAll: { p50: 0, p95: 0, p99: 0, max: 0, mean: 0 },
      errorSamples,
    });
    const lines = explainErrors([
      endpoint({ '429': 4, '500': 1 }, { '429': 'Too Many Requests', '500': '{"requestId":"r1"}' }),
      endpoint({ UND_ERR_HEADERS_TIMEOUT: 2 }, {}),
    ]);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toContain('4 of the 7 errors were 429 ("Too Many Requests"): the balancer\'s per-client rate limit');
    expect(lines[1]).toContain('2 of the 7 errors were UND_ERR_HEADERS_TIMEOUT: no answer within --timeout');
    expect(lines[2]).toContain('.tenk/logs/api-*.log');
    expect(explainErrors([endpoint({}, {})])).toEqual([]);
  });

  it('summarises the seconds of the hold when other work left the machine alone', () => {
    const point = (t: number, otherCpu: number, p99: number): TimelinePoint => ({
      t,
      phase: 'hold',
      vus: 10,
      inFlight: 0,
      requests: 100,
      errors: 0,
      p50: 2,
      p95: 5,
      p99,
      max: p99,
      generatorCpu: 5,
      eventLoopP99: 1,
      otherCpu,
    });
    const timeline = [
      point(1, 90, 900),
      point(2, 10, 40),
      point(3, 5, 60),
      point(4, 12, 50),
      point(5, 3, 45),
      point(6, 20, 55),
      point(7, 100, 800),
    ];
    expect(quietWindows(timeline)).toEqual({
      seconds: 5,
      holdSeconds: 7,
      throughput: 100,
      errors: 0,
      p50Median: 2,
      p99Median: 50,
      p99Max: 60,
    });
    expect(quietWindows(timeline.slice(0, 3))).toBeNull();
  });
});

describe('line charts', () => {
  it('draws every series with gaps, a reference line and a legend', () => {
    const svg = renderLineChart({
      title: 'Latency <p99>',
      unit: 'ms',
      series: [
        {
          name: 'p50',
          points: [
            [0, 1],
            [1, Number.NaN],
            [2, 3],
          ],
        },
        {
          name: 'p99',
          points: [
            [0, 10],
            [1, 20],
            [2, 30],
          ],
        },
      ],
      reference: { label: 'target', y: 200 },
    });
    expect(svg).toContain('Latency &lt;p99&gt;');
    // The gap starts a new sub-path.
    expect(svg).toMatch(/d="M[\d. ]+ M[\d. ]+"/);
    expect(svg).toContain('stroke-dasharray="6 4"');
    expect(svg).toContain('>p99</text>');
  });

  it('says so when there is no data, and picks round ticks', () => {
    expect(renderLineChart({ title: 'x', unit: 'ms', series: [] })).toContain('no data');
    expect(niceTicks(0, 187)).toEqual([0, 50, 100, 150, 200]);
    expect(niceTicks(0, 9_400)).toEqual([0, 2_000, 4_000, 6_000, 8_000, 10_000]);
  });
});

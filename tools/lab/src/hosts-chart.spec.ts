import { readFileSync } from 'node:fs';
import path from 'node:path';
import { renderHostsChart, type HostsResults } from './hosts-chart';
import { formatValue } from './svg-chart';

describe('renderHostsChart', () => {
  const committed = JSON.parse(readFileSync(path.resolve(__dirname, '../results/hosts.json'), 'utf8')) as HostsResults;

  it('draws memory per host, each drill latency and how its requests were answered, from the committed results', () => {
    const svg = renderHostsChart(committed);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    for (const name of Object.keys(committed.memory_after_start!.perHost)) expect(svg).toContain(`>${name}</text>`);
    expect(svg).toContain(`(${committed.memory_after_start!.totalMiB} MiB in all)`);
    // The cut shard's orders: all refused, with their p99.
    const cut = committed.shard_server_partition!.cut_shard_during_cut;
    expect(svg).toContain(`>orders, ${committed.shard_server_partition!.host} cut</text>`);
    expect(svg).toContain(`>${formatValue(cut.p99_ms)} ms</text>`);
    expect(svg).toContain('refused (503 + Retry-After)');
  });

  it('draws only the drills that ran (the short form has fewer), and escapes what it prints', () => {
    const svg = renderHostsChart({
      app_host_partition: {
        host: 'app-<2>',
        gets: { attempts: 10, statuses: { '200': 9, '502': 1 }, p50_ms: 5, p99_ms: 80 },
        posts: { attempts: 0, statuses: {}, p50_ms: 0, p99_ms: 0 },
      },
    });
    expect(svg).toContain('>browsing, app-&lt;2&gt; cut</text>');
    expect(svg).not.toContain('Memory per host');
    expect(svg).not.toContain('orders, app-');
    // 9 served, 0 refused, 1 failed.
    expect(svg).toMatch(/>9 requests<\/text>[\s\S]*>0 requests<\/text>[\s\S]*>1 requests<\/text>/);
  });
});

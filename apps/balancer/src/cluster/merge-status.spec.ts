import { buildStatus } from '../admin/status';
import { buildConfig } from '../config/build-config';
import { parseConfigText } from '../config/parser';
import { LogSink } from '../observability/log-sink';
import { Logger } from '../observability/logger';
import { BalancerStats } from '../observability/stats';
import { Generation } from '../runtime/generation';
import { mergeStatuses } from './merge-status';

const logger = new Logger(new LogSink({ kind: 'off' }));
const text =
  'upstream api { server 10.0.0.1:80; server 10.0.0.2:80 max_conns=8; }\nserver { listen 127.0.0.1:0; location / { proxy_pass http://api; } }';

/** One worker's status: its own generation and counters. */
function worker(pid: number, change: (generation: Generation, stats: BalancerStats) => void) {
  const config = buildConfig({ file: 't.conf', files: ['t.conf'], directives: parseConfigText(text, 't.conf') }, { prefix: '/tmp' });
  const generation = new Generation(config, null, logger);
  const stats = new BalancerStats();
  change(generation, stats);
  const status = buildStatus({ generation, stats, draining: false, loadedAt: 0, listenerAddress: (key) => key, adminAddress: () => null });
  return { status: { ...status, pid }, generation };
}

describe('mergeStatuses: what /status shows for worker_processes N', () => {
  it('sums counters, keeps settings, calls a peer up only when every worker does, and lists the workers', async () => {
    const a = worker(11, (generation, stats) => {
      stats.requests = 5;
      stats.responses[2] = 5;
      const [first, second] = generation.upstreams.get('api')?.peers ?? [];
      first.requests = 3;
      second.requests = 2;
      second.conns = 1;
    });
    const b = worker(12, (generation, stats) => {
      stats.requests = 7;
      stats.responses[2] = 6;
      stats.responses[5] = 1;
      const [first, second] = generation.upstreams.get('api')?.peers ?? [];
      first.requests = 1;
      first.fails = 1;
      first.checkedAt = Date.now();
      second.requests = 6;
    });
    const merged = mergeStatuses([a.status, b.status], { pid: 1, startedAt: Date.now(), restarts: 2, acceptMutex: false, indexes: [0, 1] });
    expect(merged.pid).toBe(1);
    expect(merged.requests.total).toBe(12);
    expect(merged.requests.responses).toMatchObject({ '2xx': 11, '5xx': 1 });
    const [first, second] = merged.upstreams[0].peers;
    expect(first).toMatchObject({ requests: 4, state: 'failing', reason: 'failing (max_fails) (in 1 of 2 workers)', consecutiveFails: 1 });
    expect(second).toMatchObject({ requests: 8, activeRequests: 1, state: 'up', maxConns: 8 });
    expect(merged.upstreams[0].admission.inFlight).toBe(1);
    expect(merged.workers).toMatchObject({
      processes: 2,
      restarts: 2,
      list: [
        { index: 0, pid: 11, requests: 5 },
        { index: 1, pid: 12, requests: 7 },
      ],
    });
    expect(merged.memory.rssBytes).toBe(a.status.memory.rssBytes + b.status.memory.rssBytes);
    await Promise.all([a.generation.retire(null), b.generation.retire(null)]);
  });
});

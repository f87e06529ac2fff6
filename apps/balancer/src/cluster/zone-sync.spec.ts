import { Attempt } from '../algorithms/attempt';
import { buildConfig } from '../config/build-config';
import { parseConfigText } from '../config/parser';
import { LogSink } from '../observability/log-sink';
import { Logger } from '../observability/logger';
import { Generation } from '../runtime/generation';
import type { ZoneEvent } from './messages';
import { WorkerZoneBook } from './zone-sync';

const logger = new Logger(new LogSink({ kind: 'off' }));

function generation(upstreamBody: string, index: number): { generation: Generation; sent: ZoneEvent[]; book: WorkerZoneBook } {
  const text = `upstream api { ${upstreamBody} }\nserver { listen 127.0.0.1:0; location / { proxy_pass http://api; } }`;
  const config = buildConfig({ file: 't.conf', files: ['t.conf'], directives: parseConfigText(text, 't.conf') }, { prefix: '/tmp' });
  const sent: ZoneEvent[] = [];
  const holder: { generation: Generation | null } = { generation: null };
  const book = new WorkerZoneBook(
    index,
    (message) => sent.push(message),
    () => holder.generation,
  );
  holder.generation = new Generation(config, null, logger, book);
  return { generation: holder.generation, sent, book };
}

afterEach(async () => {
  await new Promise((resolve) => setImmediate(resolve));
});

describe("WorkerZoneBook: a worker's side of an upstream zone", () => {
  it('reports failures at once and requests in flight once per event-loop turn', async () => {
    const { generation: g, sent } = generation('zone api 64k; least_conn; server 10.0.0.1:80; server 10.0.0.2:80;', 1);
    const api = g.upstreams.get('api')!;
    const first = api.pick(new Attempt(), 1000)!;
    const second = api.pick(new Attempt(), 1000)!;
    api.release(first, true, 1001);
    expect(sent).toEqual([{ type: 'tenk:zone-fail', upstream: 'api', peer: first.id, at: 1001 }]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent.slice(1)).toEqual([{ type: 'tenk:zone-conns', upstream: 'api', conns: { [first.id]: 0, [second.id]: 1 } }]);
    await g.retire(null);
  });

  it('sends no requests in flight when nothing reads them (round-robin without max_conns)', async () => {
    const { generation: g, sent } = generation('zone api 64k; server 10.0.0.1:80; server 10.0.0.2:80;', 1);
    const api = g.upstreams.get('api')!;
    api.release(api.pick(new Attempt(), 0)!, false, 1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toEqual([]);
    expect(api.switchAlgorithm('least_conn', [])).toBeNull();
    api.release(api.pick(new Attempt(), 0)!, false, 2);
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent.map((message) => message.type)).toEqual(['tenk:zone-conns']);
    await g.retire(null);
  });

  it("counts the other workers' requests in flight for least_conn and max_conns", async () => {
    const { generation: g, book } = generation(
      'zone api 64k; least_conn; server 10.0.0.1:80 max_conns=2; server 10.0.0.2:80 max_conns=2;',
      1,
    );
    const api = g.upstreams.get('api')!;
    book.apply({ type: 'tenk:zone-others', upstream: 'api', conns: { '10.0.0.1:80': 2, '10.0.0.2:80': 1 } });
    const picked = api.pick(new Attempt(), 0)!;
    expect(picked.id).toBe('10.0.0.2:80');
    // Both peers are now at max_conns counting every worker: nothing more is picked here.
    expect(api.pick(new Attempt(), 0)).toBeNull();
    expect(api.isAtCapacity(0)).toBe(true);
    await g.retire(null);
  });

  it('adopts the shared failure count and health verdicts the primary sends', async () => {
    const { generation: g, book } = generation('zone api 64k; server 10.0.0.1:80; server 10.0.0.2:80;', 1);
    const api = g.upstreams.get('api')!;
    book.apply({ type: 'tenk:zone-peer', upstream: 'api', peer: '10.0.0.1:80', state: { fails: 1, accessedAt: 500, checkedAt: 500 } });
    book.apply({
      type: 'tenk:zone-health-state',
      upstream: 'api',
      peer: '10.0.0.2:80',
      health: { healthy: false, checkFails: 3, checkPasses: 0, lastCheckAt: 9, lastCheckStatus: 503, lastCheckError: 'status 503' },
    });
    expect(api.pick(new Attempt(), 600)).toBeNull();
    expect(api.peers[1]).toMatchObject({ healthy: false, checkFails: 3, lastCheckError: 'status 503' });
    await g.retire(null);
  });

  it('runs the active health checks of a zoned upstream in worker 0 only; an upstream without a zone is checked in every worker', async () => {
    const check = 'health_check interval=1s;';
    expect(generation(`zone api 64k; server 10.0.0.1:80; ${check}`, 0).generation.healthCheckers).toHaveLength(1);
    expect(generation(`zone api 64k; server 10.0.0.1:80; ${check}`, 1).generation.healthCheckers).toHaveLength(0);
    expect(generation(`server 10.0.0.1:80; ${check}`, 1).generation.healthCheckers).toHaveLength(1);
    const plain = generation('server 10.0.0.1:80;', 1).generation.upstreams.get('api')!;
    expect(plain.shared).toBeNull();
  });
});

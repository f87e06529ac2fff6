import { parsePrometheusText, Scrape } from './prometheus-text';
import { hostView, SnapshotBuilder, type Readings } from './snapshot';

const quiet: Omit<Readings, 'at'> = {
  processes: [],
  infra: {
    'postgres-primary': true,
    'postgres-replica': true,
    'redis-cache': true,
    'redis-queue': true,
    kafka: true,
    'smtp-sink': true,
  },
  switches: { cache: true, breakers: true, async: true, replicaReads: true },
};

describe('the map snapshot: hosts', () => {
  it('has no hosts for a shop on one machine', () => {
    expect(new SnapshotBuilder().build({ ...quiet, at: Date.now() }).hosts).toBeNull();
  });

  it('shows each host with its link: a cut either way is down, an unhealthy service degraded', () => {
    const services = [{ name: 'api-2', healthy: true }];
    const snapshot = new SnapshotBuilder().build({
      ...quiet,
      at: Date.now(),
      hosts: [
        { name: 'app-1', address: '10.0.0.11', link: 'up', services },
        { name: 'app-2', address: '10.0.0.12', link: 'CUT in', services },
        { name: 'kafka-2', address: '10.0.0.22', link: 'CUT', services: [{ name: 'kafka-2', healthy: false }] },
        { name: 'shard-b', address: '10.0.0.32', link: 'up', services: [{ name: 'shard-b', healthy: false }] },
      ],
    });
    expect(snapshot.hosts!.map((host) => [host.name, host.link, host.health])).toEqual([
      ['app-1', 'up', 'up'],
      ['app-2', 'cut-in', 'down'],
      ['kafka-2', 'cut', 'down'],
      ['shard-b', 'up', 'degraded'],
    ]);
    expect(snapshot.hosts![3].services).toEqual(['shard-b (unhealthy)']);
  });

  it('names a one-way cut out, and anything it does not know as absent', () => {
    expect(hostView({ name: 'workers', address: '10.0.0.40', link: 'CUT out', services: [] }).link).toBe('cut-out');
    expect(hostView({ name: 'workers', address: '10.0.0.40', link: '<script>', services: [] })).toMatchObject({
      link: 'absent',
      health: 'down',
    });
  });
});

describe('the map snapshot: shards', () => {
  it("draws every shard of the apis' map, also those no order has reached yet", () => {
    const metrics = new Scrape(
      parsePrometheusText(
        [
          'tenk_shard_buckets{shard="shard_0"} 64',
          'tenk_shard_buckets{shard="shard_1"} 64',
          'tenk_shard_buckets{shard="shard_4"} 128',
          'tenk_shard_calls_total{shard="shard_0",operation="insert",outcome="ok"} 3',
        ].join('\n'),
      ),
    );
    const snapshot = new SnapshotBuilder().build({
      ...quiet,
      at: Date.now(),
      processes: [{ name: 'api-1', state: 'ready', url: 'http://127.0.0.1:1', metrics }],
    });
    expect(snapshot.nodes.map((node) => node.id).filter((id) => id.startsWith('shard_'))).toEqual(['shard_0', 'shard_1', 'shard_4']);
  });
});

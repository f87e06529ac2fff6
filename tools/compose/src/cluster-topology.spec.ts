/**
 * docker/docker-compose.cluster.yml on top of the other two describes the topology of
 * `npm run hosts` and deploy/kubernetes: a three-node KRaft Kafka cluster with orders.events at
 * 3 copies and min.insync.replicas=2, the order shards on two shard servers (shard_0-1, shard_2-3),
 * the primary with the catalog only; everything on the internal network, published on 127.0.0.1
 * only. Read without Docker (compose-model.ts); `docker-compose config` where it is installed.
 * `npm run compose -- test --cluster` runs it (e2e/src/compose.e2e-spec.ts).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '@tenk/config';
import { commandText, networksOf, readComposeFiles, type ComposeModel, type ComposeService } from './compose-model';
import { COMPOSE_PORTS, composeFiles, DOCKER_DIR } from './project';

const FILES = composeFiles({ cluster: true });
/** As tools/compose runs it (its published ports), and as by hand (the files' own defaults). */
const AS_RUN = readComposeFiles(FILES, Object.fromEntries(Object.entries(COMPOSE_PORTS).map(([key, port]) => [key, String(port)])));
const BY_HAND = readComposeFiles(FILES);
const ONE_BROKER = readComposeFiles(composeFiles());
const hasComposeV1 = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;

const kafkaNodes = (model: ComposeModel): Array<[string, ComposeService]> =>
  Object.entries(model.services).filter(
    ([, service]) => service.image?.startsWith('apache/kafka:') && service.environment['KAFKA_NODE_ID'],
  );

/** `PLAINTEXT://0.0.0.0:1,INTERNAL://kafka:19092` -> { PLAINTEXT: '0.0.0.0:1', INTERNAL: 'kafka:19092' } */
const listeners = (value = ''): Record<string, string> =>
  Object.fromEntries(
    value
      .split(',')
      .filter(Boolean)
      .map((item) => item.split('://') as [string, string]),
  );

/** The services that run tenk's code with the shop's environment (TENK_PG_HOST): the apps and migrate. */
const tenkServices = (model: ComposeModel) => Object.entries(model.services).filter(([, service]) => service.environment['TENK_PG_HOST']);

describe('docker/docker-compose.cluster.yml (the cluster form)', () => {
  it('is given after the other two files, and only to the cluster form', () => {
    expect(FILES.map((file) => path.relative(DOCKER_DIR, file))).toEqual([
      'docker-compose.yml',
      'docker-compose.shop.yml',
      'docker-compose.cluster.yml',
    ]);
    expect(composeFiles()).toHaveLength(2);
  });

  it.each([
    ['as tools/compose runs it', AS_RUN],
    ['by hand', BY_HAND],
  ])('runs three KRaft nodes, each voting with all three, one cluster id, internal topics on all three (%s)', (_, model) => {
    const nodes = kafkaNodes(model);
    expect(nodes.map(([name, service]) => [name, service.environment['KAFKA_NODE_ID']])).toEqual([
      ['kafka', '1'],
      ['kafka-2', '2'],
      ['kafka-3', '3'],
    ]);
    for (const [name, service] of nodes) {
      const env = service.environment;
      expect([name, env['KAFKA_PROCESS_ROLES']]).toEqual([name, 'broker,controller']);
      const voters = env['KAFKA_CONTROLLER_QUORUM_VOTERS']!.split(',').map((voter) => /^(\d+)@([\w-]+):(\d+)$/.exec(voter)!.slice(1));
      // Each voter is one of the three nodes, at the controller listener that node binds.
      expect(voters.map(([id, host]) => [host, model.services[host]?.environment['KAFKA_NODE_ID'] === id])).toEqual(
        nodes.map(([node]) => [node, true]),
      );
      for (const [, host, port] of voters)
        expect(listeners(model.services[host].environment['KAFKA_LISTENERS'])['CONTROLLER']).toBe(`${host}:${port}`);
      expect([name, env['CLUSTER_ID']]).toEqual([name, nodes[0][1].environment['CLUSTER_ID']]);
      expect(env['CLUSTER_ID']).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect([name, env['KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR'], env['KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR']]).toEqual([
        name,
        '3',
        '3',
      ]);
      expect([name, env['KAFKA_MIN_INSYNC_REPLICAS'], env['KAFKA_TRANSACTION_STATE_LOG_MIN_ISR']]).toEqual([name, '2', '2']);
      expect([name, env['KAFKA_AUTO_CREATE_TOPICS_ENABLE']]).toEqual([name, 'false']);
      // Small: three JVMs on a two-core, shared machine.
      expect([name, Number(/-Xmx(\d+)m/.exec(env['KAFKA_HEAP_OPTS'] ?? '')?.[1])]).toEqual([name, 256]);
      // Containers reach each node on its own name; the host on its own published port.
      const own = listeners(env['KAFKA_ADVERTISED_LISTENERS']);
      expect([name, own['INTERNAL']]).toEqual([name, `${name}:19092`]);
      expect(service.ports).toEqual([`127.0.0.1:${own['PLAINTEXT']!.split(':')[1]}:${own['PLAINTEXT']!.split(':')[1]}`]);
      expect(own['PLAINTEXT']).toMatch(/^127\.0\.0\.1:\d+$/);
    }
    expect(new Set(nodes.map(([, service]) => service.ports[0])).size).toBe(3);
  });

  it("publishes the three brokers on tools/compose's own ports, below the ephemeral range", () => {
    expect(kafkaNodes(AS_RUN).map(([, service]) => service.ports[0])).toEqual([
      '127.0.0.1:27092:27092',
      '127.0.0.1:27093:27093',
      '127.0.0.1:27094:27094',
    ]);
  });

  it('creates orders.events with 6 partitions, 3 copies and min.insync.replicas=2, once all three brokers are up', () => {
    const topics = AS_RUN.services['kafka-topics'];
    const command = commandText(topics);
    expect(Object.keys(topics.depends_on).sort()).toEqual(['kafka', 'kafka-2', 'kafka-3']);
    expect(command).toMatch(
      /--create --if-not-exists --topic orders\.events --partitions 6 --replication-factor 3 --config min\.insync\.replicas=2/,
    );
    // Tried again until it succeeds: with fewer than three brokers registered, 3 copies is refused.
    expect(command).toMatch(/until [^;]*--replication-factor 3[^;]*; do sleep \d+; done/);
    expect(command).toContain('brokers=kafka:19092,kafka-2:19092,kafka-3:19092');
    // The one-broker form keeps its single copy.
    expect(commandText(ONE_BROKER.services['kafka-topics'])).toContain('--replication-factor 1');
  });

  it('gives every app and migrate all three brokers and a shard map on two shard servers: shard_0-1 on one, shard_2-3 on the other', () => {
    const nodes = kafkaNodes(AS_RUN).map(([name]) => `${name}:19092`);
    const services = tenkServices(AS_RUN);
    expect(services.map(([name]) => name).sort()).toEqual([
      'api',
      'balancer',
      'mailer',
      'media-worker',
      'migrate',
      'payment-sim',
      'reports',
    ]);
    for (const [name, service] of services) {
      const env = service.environment;
      const config = loadConfig({
        TENK_PG_HOST: env['TENK_PG_HOST'],
        TENK_PG_PORT: env['TENK_PG_PORT'],
        TENK_SHARD_HOSTS: env['TENK_SHARD_HOSTS'],
        TENK_KAFKA_BROKERS: env['TENK_KAFKA_BROKERS'],
      });
      expect([name, config.kafka.brokers]).toEqual([name, nodes]);
      const where = Object.fromEntries(
        Object.entries(config.postgres.shardEndpoints).map(([shard, at]) => [shard, `${at.host}:${at.port}`]),
      );
      expect([name, where]).toEqual([
        name,
        {
          shard_0: 'postgres-shard-a:5432',
          shard_1: 'postgres-shard-a:5432',
          shard_2: 'postgres-shard-b:5432',
          shard_3: 'postgres-shard-b:5432',
        },
      ]);
    }
  });

  it('runs the two shard servers the map names, each making its own two databases; the primary keeps the catalog only', () => {
    for (const [server, shards] of [
      ['postgres-shard-a', 'shard_0,shard_1'],
      ['postgres-shard-b', 'shard_2,shard_3'],
    ] as const) {
      const service = AS_RUN.services[server];
      expect([server, service?.image]).toEqual([server, 'postgres:15']);
      expect(service.environment['TENK_SHARD_DATABASES']).toBe(shards);
      expect(service.environment['POSTGRES_PASSWORD_FILE']).toBe('/run/secrets/pg_password');
      expect(service.volumes).toContain('./postgres/init-shard.sh:/docker-entrypoint-initdb.d/10-init-shard.sh:ro');
      // Healthy once the last of its databases answers over TCP; migrate waits for both.
      expect(service.healthcheck?.test).toEqual(['CMD', 'pg_isready', '-h', '127.0.0.1', '-U', 'tenk', '-d', shards.split(',')[1]]);
      expect(AS_RUN.services['migrate'].depends_on[server]).toEqual({ condition: 'service_healthy' });
      // Labelled like the primary's, so a volume made with another password is found (and removed) by `up`.
      expect(AS_RUN.volumes[`${server.replace('postgres-', '')}-data`]).toEqual({ labels: { 'dev.tenk.compose.pg-password': '' } });
    }
    expect(AS_RUN.services['postgres-primary'].environment['TENK_SHARD_DATABASES']).toBe('');
    expect(ONE_BROKER.services['postgres-primary'].environment['TENK_SHARD_DATABASES']).toBe('shard_0,shard_1,shard_2,shard_3');
    const script = readFileSync(path.join(DOCKER_DIR, 'postgres/init-shard.sh'), 'utf8');
    expect(script).toContain('CREATE DATABASE $db OWNER ${POSTGRES_USER}');
    expect(script).toContain('for db in ${TENK_SHARD_DATABASES//,/ }');
  });

  it('keeps every service on the internal network, publishes on 127.0.0.1 only, and only published services on the edge network', () => {
    expect(AS_RUN.networks['default']?.internal).toBe(true);
    expect(Object.keys(AS_RUN.networks).sort()).toEqual(['default', 'edge']);
    const published = new Set(Object.values(COMPOSE_PORTS));
    for (const [name, service] of Object.entries(AS_RUN.services)) {
      const networks = networksOf(service);
      expect([name, networks.includes('default')]).toEqual([name, true]);
      expect([name, networks.includes('edge')]).toEqual([name, service.ports.length > 0]);
      for (const mapping of service.ports) {
        expect([name, mapping]).toEqual([name, expect.stringMatching(/^127\.0\.0\.1:\d+:\d+$/)]);
        expect([name, published.has(Number(mapping.split(':')[1]))]).toEqual([name, true]);
      }
    }
    // The shard servers are reached from containers only.
    expect([AS_RUN.services['postgres-shard-a'].ports, AS_RUN.services['postgres-shard-b'].ports]).toEqual([[], []]);
  });

  // Debian's docker-compose (Compose v1), which tools/compose runs, takes the three files together.
  (hasComposeV1 ? it : it.skip)('is accepted by `docker-compose config` (Compose v1) with the other two files', () => {
    const result = spawnSync('docker-compose', ['-p', 'tenk-compose-cluster', ...FILES.flatMap((file) => ['-f', file]), 'config', '-q'], {
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});

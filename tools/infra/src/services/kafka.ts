import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { PORT_VARIABLES, type TenkConfig } from '@tenk/config';
import { TOPICS } from '@tenk/contracts';
import { serviceDirs } from '../layout';
import { ensurePortFree } from '../ports';
import type { InfraService, ServiceStatus } from '../service';
import { commandExists, runOrThrow, waitFor } from '../shell';
import { atSpot, LOCAL, type Spot } from '../spot';
import { livePid, stopPid } from './pidfile';

const KAFKA_DIR = path.resolve(__dirname, '../../kafka');

/** The Kafka version, read from the pom so it is written in one place. */
export function kafkaVersion(): string {
  const pom = readFileSync(path.join(KAFKA_DIR, 'pom.xml'), 'utf8');
  const match = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom);
  if (!match) throw new Error('tools/infra/kafka/pom.xml has no <kafka.version>');
  return match[1];
}

/**
 * One KRaft node (broker and controller at once) of a cluster: the one-host stack's single
 * node, or one of tools/hosts' three. `replication` is how many copies each partition has
 * (and min.insync.replicas is one less, at least 1): producers with acks=all then survive one
 * node lost.
 */
export interface KafkaNode {
  name: string;
  spot: Spot;
  nodeId: number;
  port(config: TenkConfig): number;
  controllerPort(config: TenkConfig): number;
  /** `1@host:port,2@host:port,...`: every controller of the cluster. */
  voters(config: TenkConfig): string;
  /** The cluster's id, the same for every node; undefined: a new one (a single node). */
  clusterId?(config: TenkConfig): string;
  replication: number;
  /** JVM heap of the node. */
  heapMiB: number;
}

export const LOCAL_KAFKA: KafkaNode = {
  name: 'kafka',
  spot: LOCAL,
  nodeId: 1,
  port: (config) => config.kafka.port,
  controllerPort: (config) => config.kafka.controllerPort,
  voters: (config) => `1@127.0.0.1:${config.kafka.controllerPort}`,
  replication: 1,
  heapMiB: 192,
};

function files(config: TenkConfig, node: KafkaNode = LOCAL_KAFKA) {
  const dirs = serviceDirs(config, node.name);
  const version = kafkaVersion();
  return {
    ...dirs,
    version,
    libs: path.join(config.paths.cache, `kafka-${version}`, 'libs'),
    pid: path.join(dirs.run, 'kafka.pid'),
    properties: path.join(dirs.run, 'server.properties'),
  };
}

function admin(brokers: string[]) {
  return new Kafka({
    clientId: 'tenk-infra',
    brokers,
    connectionTimeout: 2_000,
    requestTimeout: 5_000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  }).admin();
}

/** Fetches the broker's jars with Maven into the git-ignored cache (first run only). */
async function ensureJars(config: TenkConfig, log: (line: string) => void): Promise<string> {
  const f = files(config);
  if (existsSync(f.libs) && readdirSync(f.libs).some((jar) => jar.startsWith('kafka_2.13-'))) return f.libs;
  log(`fetching Apache Kafka ${f.version} jars with Maven (first run only, ~50 MB)`);
  mkdirSync(f.libs, { recursive: true });
  await runOrThrow('mvn', [
    '-B',
    '-q',
    '-f',
    path.join(KAFKA_DIR, 'pom.xml'),
    `-Dmaven.repo.local=${path.join(config.paths.cache, 'm2')}`,
    'dependency:copy-dependencies',
    `-DoutputDirectory=${f.libs}`,
  ]);
  return f.libs;
}

function serverProperties(config: TenkConfig, node: KafkaNode, dataDir: string): string {
  const port = node.port(config);
  const controllerPort = node.controllerPort(config);
  const { address } = node.spot;
  const copies = node.replication;
  const minInSync = Math.max(1, copies - 1);
  return [
    '# Written by tools/infra on every start: a KRaft node, broker and controller at once.',
    'process.roles=broker,controller',
    `node.id=${node.nodeId}`,
    `controller.quorum.voters=${node.voters(config)}`,
    `listeners=PLAINTEXT://${address}:${port},CONTROLLER://${address}:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://${address}:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${dataDir}`,
    'num.partitions=3',
    // Topics are created on purpose (by tools/infra and by tests), never by a typo.
    'auto.create.topics.enable=false',
    `default.replication.factor=${copies}`,
    `min.insync.replicas=${minInSync}`,
    `offsets.topic.replication.factor=${copies}`,
    'offsets.topic.num.partitions=10',
    `transaction.state.log.replication.factor=${copies}`,
    `transaction.state.log.min.isr=${minInSync}`,
    'transaction.state.log.num.partitions=4',
    // One node: no point waiting for more members before the first rebalance.
    'group.initial.rebalance.delay.ms=0',
    'log.retention.hours=168',
    // The log cleaner (compaction of __consumer_offsets) allocates this buffer at start-up:
    // 128 MB by default, more than this broker needs; 16 MB keeps the heap small.
    'log.cleaner.dedupe.buffer.size=16777216',
    // A cluster: a node cut off leaves the in-sync set after 5 s instead of Kafka's 30, so
    // writes with acks=all go on with the other two (min.insync.replicas=2) during a partition
    // rather than waiting for it to end (tools/hosts' Kafka drill).
    ...(copies > 1 ? ['replica.lag.time.max.ms=5000'] : []),
    '',
  ].join('\n');
}

async function java(classpath: string, args: string[]): Promise<void> {
  await runOrThrow('java', ['-cp', `${classpath}/*`, `-Dlog4j.configuration=file:${path.join(KAFKA_DIR, 'log4j.properties')}`, ...args]);
}

/**
 * Creates the project's topics if missing (orders.events with several partitions), each
 * partition on `replication` brokers and, with more than one, min.insync.replicas one less.
 */
export async function ensureTopics(config: TenkConfig, brokers: string[], replication: number, log: (line: string) => void): Promise<void> {
  const client = admin(brokers);
  await client.connect();
  try {
    const existing = new Set(await client.listTopics());
    const wanted = [
      {
        topic: TOPICS.ordersEvents,
        numPartitions: config.kafka.ordersPartitions,
        replicationFactor: replication,
        configEntries: [{ name: 'min.insync.replicas', value: String(Math.max(1, replication - 1)) }],
      },
    ];
    const missing = wanted.filter((topic) => !existing.has(topic.topic));
    if (missing.length > 0) {
      log(
        `creating topics ${missing.map((t) => `${t.topic} (${t.numPartitions} partitions, ${t.replicationFactor} cop${t.replicationFactor === 1 ? 'y' : 'ies'})`).join(', ')}`,
      );
      await client.createTopics({ topics: missing, waitForLeaders: true });
    }
  } finally {
    await client.disconnect();
  }
}

/**
 * Apache Kafka from Maven Central's jars, run by this machine's java: one KRaft node of a
 * cluster. `topics` creates the project's topics once the node answers (the one-host stack;
 * tools/hosts creates them once all three nodes are up).
 */
export function kafkaServer(node: KafkaNode, topics: boolean): InfraService {
  const brokerOf = (config: TenkConfig) => [`${node.spot.address}:${node.port(config)}`];
  return {
    name: node.name,
    after: [],
    port: (config) => node.port(config),
    extraPorts: (config) => [node.controllerPort(config)],
    packages: () => [
      { debian: 'default-jre-headless', present: () => commandExists('java') },
      { debian: 'maven', present: () => commandExists('mvn') },
    ],
    dataDirs: (config) => [files(config, node).data],

    async status(config): Promise<ServiceStatus> {
      const pid = livePid(files(config, node).pid);
      if (!pid) return { running: false, healthy: false };
      const client = admin(brokerOf(config));
      try {
        await client.connect();
        const metadata = await client.fetchTopicMetadata();
        const listed = metadata.topics.filter((topic) => !topic.name.startsWith('__'));
        const summary =
          listed.length <= 3
            ? listed
                .map((t) => {
                  const replicas = t.partitions.reduce((sum, p) => sum + p.replicas.length, 0);
                  const inSync = t.partitions.reduce((sum, p) => sum + p.isr.length, 0);
                  return node.replication > 1
                    ? `${t.name}(${t.partitions.length}, in sync ${inSync}/${replicas})`
                    : `${t.name}(${t.partitions.length})`;
                })
                .join(' ')
            : `${listed.length} topics`;
        return { running: true, healthy: true, pid, detail: `KRaft ${files(config, node).version}, ${summary || 'no topics'}` };
      } catch (error) {
        return { running: true, healthy: false, pid, detail: (error as Error).message };
      } finally {
        await client.disconnect().catch(() => undefined);
      }
    },

    async start(config, log) {
      const f = files(config, node);
      const port = node.port(config);
      const controllerPort = node.controllerPort(config);
      if (!livePid(f.pid)) {
        await ensurePortFree(node.name, port, PORT_VARIABLES.kafka, node.spot.address);
        await ensurePortFree(node.name, controllerPort, PORT_VARIABLES.kafkaController, node.spot.address);
        const libs = await ensureJars(config, log);
        mkdirSync(f.data, { recursive: true });
        writeFileSync(f.properties, serverProperties(config, node, f.data));
        if (!existsSync(path.join(f.data, 'meta.properties'))) {
          log('formatting the KRaft log directory (first run only)');
          const clusterId =
            node.clusterId?.(config) ??
            (await runOrThrow('java', ['-cp', `${libs}/*`, 'kafka.tools.StorageTool', 'random-uuid'])).stdout.trim().split('\n').pop() ??
            '';
          await java(libs, ['kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', f.properties, '--ignore-formatted']);
        }
        log(`starting on ${node.spot.address}:${port} (controller :${controllerPort}, heap ${node.heapMiB} MiB)`);
        const out = openSync(f.log, 'a');
        const [command, args] = atSpot(node.spot, 'java', [
          // A small node: a bounded heap and the lean serial collector keep it near 250 MB
          // resident (the one-host shop's memory budget is 1.5 GB, the many-host one's 4 GB).
          '-Xms64m',
          `-Xmx${node.heapMiB}m`,
          '-XX:+UseSerialGC',
          '-XX:MaxMetaspaceSize=128m',
          '-XX:ReservedCodeCacheSize=64m',
          '-Xss512k',
          '-Djava.awt.headless=true',
          `-Dlog4j.configuration=file:${path.join(KAFKA_DIR, 'log4j.properties')}`,
          `-Dkafka.logs.dir=${path.dirname(f.log)}`,
          '-cp',
          `${libs}/*`,
          'kafka.Kafka',
          f.properties,
        ]);
        const child = spawn(command, args, { detached: true, stdio: ['ignore', out, out] });
        closeSync(out);
        child.unref();
        writeFileSync(f.pid, String(child.pid));
      }
      const healthy = await waitFor(async () => (await this.status(config)).healthy, 90_000, 500);
      if (!healthy) throw new Error(`${node.name} did not become ready within 90 s; see ${f.log}`);
      if (topics) await ensureTopics(config, brokerOf(config), node.replication, log);
    },

    async stop(config) {
      await stopPid(files(config, node).pid, 30_000);
    },
  };
}

export const kafka: InfraService = kafkaServer(LOCAL_KAFKA, true);

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
import { livePid, stopPid } from './pidfile';

const KAFKA_DIR = path.resolve(__dirname, '../../kafka');

/** The Kafka version, read from the pom so it is written in one place. */
export function kafkaVersion(): string {
  const pom = readFileSync(path.join(KAFKA_DIR, 'pom.xml'), 'utf8');
  const match = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom);
  if (!match) throw new Error('tools/infra/kafka/pom.xml has no <kafka.version>');
  return match[1];
}

function files(config: TenkConfig) {
  const dirs = serviceDirs(config, 'kafka');
  const version = kafkaVersion();
  return {
    ...dirs,
    version,
    libs: path.join(config.paths.cache, `kafka-${version}`, 'libs'),
    pid: path.join(dirs.run, 'kafka.pid'),
    properties: path.join(dirs.run, 'server.properties'),
  };
}

function admin(config: TenkConfig) {
  return new Kafka({
    clientId: 'tenk-infra',
    brokers: [`127.0.0.1:${config.kafka.port}`],
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

function serverProperties(config: TenkConfig, dataDir: string): string {
  const { port, controllerPort } = config.kafka;
  return [
    '# Written by tools/infra on every start: one KRaft node, broker and controller at once.',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${dataDir}`,
    'num.partitions=3',
    // Topics are created on purpose (by tools/infra and by tests), never by a typo.
    'auto.create.topics.enable=false',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=4',
    // One node: no point waiting for more members before the first rebalance.
    'group.initial.rebalance.delay.ms=0',
    'log.retention.hours=168',
    // The log cleaner (compaction of __consumer_offsets) allocates this buffer at start-up:
    // 128 MB by default, more than this broker needs; 16 MB keeps the heap small.
    'log.cleaner.dedupe.buffer.size=16777216',
    '',
  ].join('\n');
}

async function java(classpath: string, args: string[]): Promise<void> {
  await runOrThrow('java', ['-cp', `${classpath}/*`, `-Dlog4j.configuration=file:${path.join(KAFKA_DIR, 'log4j.properties')}`, ...args]);
}

/** Creates the project's topics if missing (orders.events with several partitions). */
async function ensureTopics(config: TenkConfig, log: (line: string) => void): Promise<void> {
  const client = admin(config);
  await client.connect();
  try {
    const existing = new Set(await client.listTopics());
    const wanted = [{ topic: TOPICS.ordersEvents, numPartitions: config.kafka.ordersPartitions, replicationFactor: 1 }];
    const missing = wanted.filter((topic) => !existing.has(topic.topic));
    if (missing.length > 0) {
      log(`creating topics ${missing.map((t) => `${t.topic} (${t.numPartitions} partitions)`).join(', ')}`);
      await client.createTopics({ topics: missing, waitForLeaders: true });
    }
  } finally {
    await client.disconnect();
  }
}

/** Apache Kafka from Maven Central's jars, run by this machine's java: one KRaft node. */
export const kafka: InfraService = {
  name: 'kafka',
  after: [],
  port: (config) => config.kafka.port,
  extraPorts: (config) => [config.kafka.controllerPort],
  packages: () => [
    { debian: 'default-jre-headless', present: () => commandExists('java') },
    { debian: 'maven', present: () => commandExists('mvn') },
  ],
  dataDirs: (config) => [files(config).data],

  async status(config): Promise<ServiceStatus> {
    const pid = livePid(files(config).pid);
    if (!pid) return { running: false, healthy: false };
    const client = admin(config);
    try {
      await client.connect();
      const metadata = await client.fetchTopicMetadata();
      const topics = metadata.topics.filter((topic) => !topic.name.startsWith('__'));
      const summary = topics.length <= 3 ? topics.map((t) => `${t.name}(${t.partitions.length})`).join(' ') : `${topics.length} topics`;
      return { running: true, healthy: true, pid, detail: `KRaft ${files(config).version}, ${summary || 'no topics'}` };
    } catch (error) {
      return { running: true, healthy: false, pid, detail: (error as Error).message };
    } finally {
      await client.disconnect().catch(() => undefined);
    }
  },

  async start(config, log) {
    const f = files(config);
    if (!livePid(f.pid)) {
      await ensurePortFree('kafka', config.kafka.port, PORT_VARIABLES.kafka);
      await ensurePortFree('kafka', config.kafka.controllerPort, PORT_VARIABLES.kafkaController);
      const libs = await ensureJars(config, log);
      mkdirSync(f.data, { recursive: true });
      writeFileSync(f.properties, serverProperties(config, f.data));
      if (!existsSync(path.join(f.data, 'meta.properties'))) {
        log('formatting the KRaft log directory (first run only)');
        const clusterId =
          (await runOrThrow('java', ['-cp', `${libs}/*`, 'kafka.tools.StorageTool', 'random-uuid'])).stdout.trim().split('\n').pop() ?? '';
        await java(libs, ['kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', f.properties, '--ignore-formatted']);
      }
      log(`starting on 127.0.0.1:${config.kafka.port} (controller :${config.kafka.controllerPort})`);
      const out = openSync(f.log, 'a');
      const child = spawn(
        'java',
        [
          // One small broker: a bounded heap and the lean serial collector keep it under
          // ~250 MB resident (the whole shop's memory budget is 1.5 GB).
          '-Xms64m',
          '-Xmx192m',
          '-XX:+UseSerialGC',
          '-XX:MaxMetaspaceSize=128m',
          '-XX:ReservedCodeCacheSize=64m',
          '-Xss512k',
          '-Djava.awt.headless=true',
          `-Dlog4j.configuration=file:${path.join(KAFKA_DIR, 'log4j.properties')}`,
          `-Dkafka.logs.dir=${config.paths.logs}`,
          '-cp',
          `${libs}/*`,
          'kafka.Kafka',
          f.properties,
        ],
        { detached: true, stdio: ['ignore', out, out] },
      );
      closeSync(out);
      child.unref();
      writeFileSync(f.pid, String(child.pid));
    }
    const healthy = await waitFor(async () => (await this.status(config)).healthy, 90_000, 500);
    if (!healthy) throw new Error(`kafka did not become ready within 90 s; see ${f.log}`);
    await ensureTopics(config, log);
  },

  async stop(config) {
    await stopPid(files(config).pid, 30_000);
  },
};

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_PORTS, type TenkConfig } from '@tenk/config';
import {
  kafkaServer,
  primaryServer,
  redisService,
  replicaServer,
  smtpSinkAt,
  type InfraService,
  type KafkaNode,
  type PgServer,
  type Spot,
} from '@tenk/infra';
import { host, KAFKA_HOSTS, SHARD_SERVERS, SUBNET, type HostName } from './topology';

/** A host's spot for tools/infra's server code: its namespace and address; the bridge's hosts may connect. */
export function spotOf(name: HostName): Spot {
  const found = host(name);
  return { address: found.address, netns: found.netns, clients: SUBNET };
}

const pg = (name: HostName, databases: (config: TenkConfig) => string[]): PgServer => ({
  name,
  spot: spotOf(name),
  port: () => DEFAULT_PORTS.postgresPrimary,
  databases,
});

const PRIMARY = pg('pg-primary', (config) => [config.postgres.catalogDatabase]);

/**
 * A KRaft cluster id as Kafka makes them (16 random bytes, base64url): never one that starts
 * with "-", which Kafka's own generator avoids too, since `kafka-storage format -t -abc...`
 * takes it for an option (a fresh checkout's hosts failed to start 1 time in 64: issue 17).
 */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/**
 * The cluster's id, made once and kept in the stack's folder: every node formats with it. One
 * starting with "-" (kept by a checkout before this rule) formatted no node: it is replaced.
 */
function clusterId(config: TenkConfig): string {
  const file = path.join(config.paths.data, 'kafka-cluster-id');
  if (!existsSync(file) || readFileSync(file, 'utf8').trim().startsWith('-')) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, newClusterId());
  }
  return readFileSync(file, 'utf8').trim();
}

const voters = KAFKA_HOSTS.map((name, i) => `${i + 1}@${host(name).address}:${DEFAULT_PORTS.kafkaController}`).join(',');

export const KAFKA_NODES: KafkaNode[] = KAFKA_HOSTS.map((name, i) => ({
  name,
  spot: spotOf(name),
  nodeId: i + 1,
  port: () => DEFAULT_PORTS.kafka,
  controllerPort: () => DEFAULT_PORTS.kafkaController,
  voters: () => voters,
  clusterId,
  replication: 3,
  heapMiB: 160,
}));

export interface HostServer {
  host: HostName;
  service: InfraService;
}

/**
 * Every server of the many-host stack, with its host, in start stages: a stage's servers
 * start together (the three Kafka nodes must, to elect a controller).
 */
export const STAGES: HostServer[][] = [
  [
    { host: 'pg-primary', service: primaryServer(PRIMARY) },
    ...(['shard-a', 'shard-b'] as const).map((name) => ({ host: name, service: primaryServer(pg(name, () => SHARD_SERVERS[name])) })),
    { host: 'redis', service: redisService('cache', spotOf('redis'), 'redis-cache') },
    { host: 'redis', service: redisService('queue', spotOf('redis'), 'redis-queue') },
    { host: 'workers', service: smtpSinkAt(spotOf('workers'), 'smtp-sink') },
  ],
  [
    {
      host: 'pg-replica',
      service: replicaServer(
        pg('pg-replica', (config) => [config.postgres.catalogDatabase]),
        PRIMARY,
      ),
    },
    ...KAFKA_NODES.map((node) => ({ host: node.name as HostName, service: kafkaServer(node, false) })),
  ],
];

export const SERVERS: HostServer[] = STAGES.flat();

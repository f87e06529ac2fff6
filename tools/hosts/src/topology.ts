/**
 * The many-host shop's network: hosts (Linux network namespaces), each with its own address
 * on a private bridge that exists only inside this machine, and what runs on each. Nothing
 * here listens on or sends to an address outside the bridge's subnet and 127.0.0.0/8.
 */
/**
 * The bridge lives in a namespace of its own (the network's switch): frames between hosts
 * never pass this machine's own firewall, and removing that namespace removes every cable.
 */
export const SWITCH_NETNS = 'tenk-net';
export const BRIDGE = 'tenk0';
/** This machine's cable to the switch (its end holds MACHINE_ADDRESS). */
export const MACHINE_LINK = 'tk-machine';
export const SUBNET = '10.77.0.0/24';
/** This machine's own address on the bridge: the balancer reaches the app hosts from here. */
export const MACHINE_ADDRESS = '10.77.0.1';

export const HOST_NAMES = [
  'pg-primary',
  'pg-replica',
  'shard-a',
  'shard-b',
  'kafka-1',
  'kafka-2',
  'kafka-3',
  'redis',
  'app-1',
  'app-2',
  'workers',
] as const;
export type HostName = (typeof HOST_NAMES)[number];

export interface Host {
  name: HostName;
  address: string;
  /** Its network namespace (`ip netns`). */
  netns: string;
  /** The bridge's end of its cable (veth): down means cut off. */
  link: string;
  /** What runs there, for `status`. */
  runs: string;
}

const LAYOUT: Record<HostName, [number, string]> = {
  'pg-primary': [11, 'PostgreSQL primary (catalog)'],
  'pg-replica': [12, 'PostgreSQL streaming replica of pg-primary'],
  'shard-a': [21, 'PostgreSQL: shard_0, shard_1'],
  'shard-b': [22, 'PostgreSQL: shard_2, shard_3'],
  'kafka-1': [31, 'Kafka node 1 (broker + controller)'],
  'kafka-2': [32, 'Kafka node 2 (broker + controller)'],
  'kafka-3': [33, 'Kafka node 3 (broker + controller)'],
  redis: [41, 'Redis cache + Redis queue'],
  'app-1': [51, 'api instance 1'],
  'app-2': [52, 'api instance 2'],
  workers: [61, 'mailer, media-worker, reports, payment-sim, SMTP sink'],
};

export const HOSTS: readonly Host[] = HOST_NAMES.map((name) => ({
  name,
  address: `10.77.0.${LAYOUT[name][0]}`,
  netns: `tenk-${name}`,
  link: `tk-${name}`,
  runs: LAYOUT[name][1],
}));

export function host(name: string): Host {
  const found = HOSTS.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`unknown host "${name}". Hosts: ${HOST_NAMES.join(', ')}`);
  return found;
}

/** Which shard databases live on which shard server. */
export const SHARD_SERVERS: Record<'shard-a' | 'shard-b', string[]> = {
  'shard-a': ['shard_0', 'shard_1'],
  'shard-b': ['shard_2', 'shard_3'],
};

export const KAFKA_HOSTS = ['kafka-1', 'kafka-2', 'kafka-3'] as const;

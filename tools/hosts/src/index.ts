/** tools/hosts for the drills: the many-host stack, its shop, and the network faults. */
export { hostsConfig, hostsEnv, hostsStateDir, MACHINE_PORTS } from './hosts-env';
export { startHostsShop } from './hosts-shop';
export { CUT_DIRECTIONS, heal, linkState, missingForHosts, oneWayCuts, partition, probeNamespaces, type CutDirection } from './network';
export { apiInstances, status, up, useHostsEnv } from './stack';
export { host, HOSTS, KAFKA_HOSTS, SHARD_SERVERS, type Host, type HostName } from './topology';

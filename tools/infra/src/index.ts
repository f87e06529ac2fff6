/** tools/infra's server code, for tools/hosts: the same start, check and stop at other spots. */
export { LOCAL, atSpot, listenAddresses, type Spot } from './spot';
export { primaryServer, replicaServer, replicationLag, type PgServer } from './services/postgres';
export { kafkaServer, ensureTopics, type KafkaNode } from './services/kafka';
export { redisService } from './services/redis';
export { smtpSinkAt } from './services/smtp-sink';
export { ensurePackages } from './packages';
export { ensureStackSecrets } from './secrets';
export type { InfraService, ServiceStatus } from './service';
export { commandExists, isRoot, run, runOrThrow, sleep, waitFor } from './shell';
export { livePid, stopPid } from './services/pidfile';
export { selectServices } from './stack';

import path from 'node:path';
import { DEFAULT_PORTS, findWorkspaceRoot, loadConfig, PORT_VARIABLES, type ServiceName, type TenkConfig } from '@tenk/config';
import { host, KAFKA_HOSTS, MACHINE_ADDRESS, SHARD_SERVERS } from './topology';

/** The many-host stack's own folder (data, logs, pid files, passwords): beside, never inside, the one-host stack's. */
export function hostsStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(findWorkspaceRoot(), env['TENK_HOSTS_STATE_DIR'] ?? path.join('.tenk', 'hosts'));
}

/**
 * The machine-side ports of the many-host shop: the balancer, its admin and the launcher's
 * control API stay on this machine's loopback, on their own ports so the one-host shop (and
 * its e2e and lab shops) keep theirs.
 */
export const MACHINE_PORTS = {
  TENK_BALANCER_PORT: '28080',
  TENK_BALANCER_ADMIN_PORT: '28081',
  TENK_MAP_PORT: '28082',
  TENK_SHOP_CONTROL_PORT: '28089',
} as const;

/** The ports that stay on this machine (MACHINE_PORTS), and Jaeger's, which no host reaches. */
const OFF_THE_HOSTS: readonly ServiceName[] = ['balancer', 'balancerAdmin', 'map', 'shopControl', 'jaegerUi', 'jaegerGrpc', 'jaegerOtlp'];

/**
 * Every port inside the hosts, at its default whatever the calling shell sets: each host has
 * its own network stack, and the servers listen on these. A port inherited from the caller
 * (the e2e shop's TENK_PAYMENT_SIM_PORT=4200 in npm test's e2e run) would move a listener but
 * not the URL its clients are given (TENK_PAYMENT_URL): every order then failed on payments
 * (issue 17).
 */
export const HOST_PORTS: Record<string, string> = Object.fromEntries(
  (Object.keys(DEFAULT_PORTS) as ServiceName[])
    .filter((name) => !OFF_THE_HOSTS.includes(name))
    .map((name) => [PORT_VARIABLES[name], String(DEFAULT_PORTS[name])]),
);

/**
 * The configuration of the shop on many hosts: the same variables as the one-host shop's,
 * only the addresses differ (the shard map's hosts and the Kafka bootstrap list among them).
 * Ports inside the hosts are the defaults (HOST_PORTS), the machine-side ones MACHINE_PORTS.
 */
export function hostsEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const shardHosts = Object.entries(SHARD_SERVERS).flatMap(([server, databases]) =>
    databases.map((database) => `${database}=${host(server).address}`),
  );
  return {
    TENK_STATE_DIR: hostsStateDir(env),
    TENK_PG_HOST: host('pg-primary').address,
    TENK_PG_REPLICA_HOST: host('pg-replica').address,
    TENK_SHARD_HOSTS: shardHosts.join(','),
    TENK_REDIS_CACHE_HOST: host('redis').address,
    TENK_REDIS_QUEUE_HOST: host('redis').address,
    TENK_KAFKA_BROKERS: KAFKA_HOSTS.map((name) => `${host(name).address}:${DEFAULT_PORTS.kafka}`).join(','),
    TENK_SMTP_HOST: host('workers').address,
    TENK_PAYMENT_URL: `http://${host('workers').address}:${DEFAULT_PORTS.paymentSim}`,
    ...HOST_PORTS,
    ...MACHINE_PORTS,
    TENK_PUBLIC_URL: `http://127.0.0.1:${MACHINE_PORTS.TENK_BALANCER_PORT}`,
    // The balancer reaches the app hosts from the machine's bridge address: the apis believe its X-Forwarded-For.
    TENK_TRUSTED_PROXIES: `127.0.0.1,${MACHINE_ADDRESS}`,
    // Jaeger listens on this machine's loopback, which no host reaches.
    TENK_OTLP_ENDPOINT: 'off',
  };
}

/** The many-host stack's config, as its tools and clients on this machine see it. */
export function hostsConfig(env: NodeJS.ProcessEnv = process.env): TenkConfig {
  return loadConfig({ ...env, ...hostsEnv(env) });
}

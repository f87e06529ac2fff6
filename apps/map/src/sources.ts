import net from 'node:net';
import type { TenkConfig } from '@tenk/config';
import type { BalancerReading, HostReading, InfraNode } from './snapshot';

const TIMEOUT_MS = 900;

export interface ProcessInfo {
  name: string;
  state: string;
  url: string;
}

async function getJson<T>(url: string): Promise<T | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (!response.ok) {
      await response.arrayBuffer();
      return undefined;
    }
    return (await response.json()) as T;
  } catch {
    return undefined;
  }
}

export async function getText(url: string): Promise<string | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    const text = await response.text();
    return response.ok ? text : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The shop's processes: from the launcher's control API when it runs (it knows what it
 * started and in which state), otherwise from the configured ports.
 */
export async function listProcesses(config: TenkConfig): Promise<ProcessInfo[]> {
  const fromLauncher = await getJson<ProcessInfo[]>(`http://127.0.0.1:${config.services.shopControlPort}/processes`);
  if (fromLauncher) return fromLauncher.filter((process) => process.name !== 'map');
  const { services } = config;
  const local = (port: number) => `http://127.0.0.1:${port}`;
  return [
    ...Array.from({ length: services.apiInstances }, (_, i) => ({
      name: `api-${i + 1}`,
      state: 'unknown',
      url: local(services.apiPort + i),
    })),
    { name: 'media-worker', state: 'unknown', url: local(services.mediaWorkerPort) },
    { name: 'mailer', state: 'unknown', url: local(services.mailerPort) },
    { name: 'reports', state: 'unknown', url: local(services.reportsPort) },
    { name: 'balancer', state: 'unknown', url: local(services.balancerPort) },
    { name: 'payment-sim', state: 'unknown', url: local(services.paymentSimAdminPort) },
  ];
}

/**
 * The hosts and their links, when the shop runs on many (`npm run hosts -- shop`: its launcher
 * lists them); undefined for a shop on one machine (the launcher answers 404) or no launcher.
 */
export async function readHosts(config: TenkConfig): Promise<HostReading[] | undefined> {
  const hosts = await getJson<HostReading[]>(`http://127.0.0.1:${config.services.shopControlPort}/hosts`);
  return Array.isArray(hosts) ? hosts : undefined;
}

interface BalancerStatusJson {
  requests: { total: number; active: number };
  upstreams: Array<{
    name: string;
    algorithmName: string;
    algorithm: string;
    peers: Array<{ address: string; state: string; activeRequests: number; requests: number; latencyMs: { p99: number | null } }>;
  }>;
}

/** The balancer's admin /status, reduced to what the map draws (the `api` upstream). */
export async function readBalancer(config: TenkConfig): Promise<BalancerReading | undefined> {
  const status = await getJson<BalancerStatusJson>(`http://127.0.0.1:${config.services.balancerAdminPort}/status`);
  const upstream = status?.upstreams.find((candidate) => candidate.name === 'api') ?? status?.upstreams[0];
  if (!status || !upstream) return undefined;
  return {
    algorithm: upstream.algorithm || upstream.algorithmName,
    requests: status.requests.total,
    active: status.requests.active,
    peers: upstream.peers.map((peer) => ({
      address: peer.address,
      state: peer.state,
      activeRequests: peer.activeRequests,
      requests: peer.requests,
      p99: peer.latencyMs.p99,
    })),
  };
}

export async function readPaymentFaults(config: TenkConfig): Promise<{ up: boolean; faults?: Record<string, unknown> }> {
  const faults = await getJson<Record<string, unknown>>(`http://127.0.0.1:${config.services.paymentSimAdminPort}/admin/faults`);
  return faults ? { up: faults['refuseConnections'] !== true, faults } : { up: false };
}

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(TIMEOUT_MS, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Whether each piece of the stack accepts connections. */
export async function readInfra(config: TenkConfig): Promise<Record<InfraNode, boolean>> {
  const [kafkaHost, kafkaPort] = (config.kafka.brokers[0] ?? `127.0.0.1:${config.kafka.port}`).split(':');
  const checks: Array<[InfraNode, Promise<boolean>]> = [
    ['postgres-primary', reachable(config.postgres.primary.host, config.postgres.primary.port)],
    ['postgres-replica', reachable(config.postgres.replica.host, config.postgres.replica.port)],
    ['redis-cache', reachable(config.redis.cache.host, config.redis.cache.port)],
    ['redis-queue', reachable(config.redis.queue.host, config.redis.queue.port)],
    ['kafka', reachable(kafkaHost, Number(kafkaPort))],
    ['smtp-sink', reachable(config.mail.smtp.host, config.mail.smtp.port)],
  ];
  const results = await Promise.all(checks.map(([, check]) => check));
  return Object.fromEntries(checks.map(([name], index) => [name, results[index]])) as Record<InfraNode, boolean>;
}

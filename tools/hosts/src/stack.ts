import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { loadConfig, type TenkConfig } from '@tenk/config';
import { ensurePackages, ensureStackSecrets, ensureTopics, sleep, type ServiceStatus } from '@tenk/infra';
import type { HostView, Placement } from '@tenk/shop';
import { hostsConfig, hostsEnv, hostsStateDir } from './hosts-env';
import { buildNetwork, linkState, ONE_WAY_PACKAGES, removeNetwork, type LinkState } from './network';
import { KAFKA_NODES, SERVERS, STAGES } from './servers';
import { host, HOSTS, type HostName } from './topology';

export type Log = (who: string, line: string) => void;

const ROOT = path.resolve(__dirname, '../../..');

/**
 * The many-host stack's config: its own folder and addresses; the Kafka jars and Maven cache
 * shared with the one-host stack's cache (fetched once per machine).
 */
export function stackConfig(): TenkConfig {
  const config = hostsConfig(MACHINE_ENV);
  return { ...config, paths: { ...config.paths, cache: loadConfig(MACHINE_ENV).paths.cache } };
}

/** The environment this tool was started with (before useHostsEnv). */
const MACHINE_ENV: NodeJS.ProcessEnv = { ...process.env };

/**
 * Makes this process's environment the many-host stack's: the servers and the shop it starts
 * (the SMTP sink, the apps) read their folders and addresses from it.
 */
export function useHostsEnv(): void {
  Object.assign(process.env, hostsEnv(MACHINE_ENV));
}

/** Builds the network, starts every server on its host (each stage's together), creates the topics, migrates. */
export async function up(log: Log): Promise<TenkConfig> {
  ensureStackSecrets(hostsStateDir(MACHINE_ENV), (line) => log('secrets', line));
  const config = stackConfig();
  await ensurePackages([...SERVERS.flatMap((server) => server.service.packages()), ...ONE_WAY_PACKAGES], (line) => log('packages', line));
  await buildNetwork(log);
  for (const stage of STAGES) {
    await Promise.all(
      stage.map(async ({ host: name, service }) => {
        const who = name === service.name ? name : `${name}/${service.name}`;
        const started = Date.now();
        if ((await service.status(config)).healthy) {
          log(who, 'already running');
          return;
        }
        await service.start(config, (line) => log(who, line));
        log(who, `ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      }),
    );
  }
  // Just after the election the nodes' metadata can lag the controller's: try again briefly.
  for (let attempt = 1; ; attempt += 1) {
    try {
      await ensureTopics(config, config.kafka.brokers, KAFKA_NODES[0].replication, (line) => log('kafka', line));
      break;
    } catch (error) {
      if (attempt >= 10) throw error;
      log('kafka', `topics not ready yet (${(error as Error).message}); trying again`);
      await sleep(1_000);
    }
  }
  log('migrate', 'migrations and seed data on pg-primary, shard-a and shard-b');
  const migrate = spawnSync(process.execPath, ['-r', path.join(ROOT, 'tools/register.cjs'), path.join(ROOT, 'tools/db/src/migrate.ts')], {
    cwd: ROOT,
    env: { ...process.env, ...hostsEnv(MACHINE_ENV) },
    stdio: 'inherit',
  });
  if (migrate.status !== 0) throw new Error(`migrations failed (exit ${migrate.status}); see the output above`);
  return config;
}

/** Stops every server (later stages first), then removes the namespaces and the bridge. */
export async function down(log: Log): Promise<void> {
  const config = stackConfig();
  for (const stage of [...STAGES].reverse()) {
    await Promise.all(
      stage.map(async ({ host: name, service }) => {
        const state = await service.status(config);
        if (!state.running) return;
        log(name, `stopping ${service.name} (pid ${state.pid})`);
        await service.stop(config, (line) => log(name, line));
      }),
    );
  }
  await removeNetwork(log);
}

export interface HostRow {
  host: HostName;
  address: string;
  link: LinkState;
  runs: string;
  services: Array<{ name: string } & ServiceStatus>;
  /** The shop's processes there, when `npm run hosts -- shop` (or a drill) runs it. */
  shop: Array<{ name: string } & ServiceStatus>;
}

/** Every host: its address, its link to the bridge, what runs there and how healthy it is. */
export async function status(): Promise<HostRow[]> {
  const config = stackConfig();
  return Promise.all(
    HOSTS.map(async (entry) => ({
      host: entry.name,
      address: entry.address,
      link: await linkState(entry),
      runs: entry.runs,
      services: await Promise.all(
        SERVERS.filter((server) => server.host === entry.name).map(async ({ service }) => ({
          name: service.name,
          ...(await service.status(config).catch((error: Error) => ({ running: true, healthy: false, detail: error.message }))),
        })),
      ),
      shop: await Promise.all(shopProcessesOn(config, entry.name).map((process) => probe(process.name, process.url))),
    })),
  );
}

/** The hosts as the launcher's control API lists them (GET /hosts), for the map. */
export async function hostViews(): Promise<HostView[]> {
  return (await status()).map((row) => ({
    name: row.host,
    address: row.address,
    link: row.link,
    services: [...row.services, ...row.shop].map((service) => ({ name: service.name, healthy: service.healthy })),
  }));
}

/** Where the shop's processes run: the apis on app-1 and app-2, the workers and payment-sim on workers. */
export function shopPlacement(process: string): Placement | undefined {
  const on = (name: HostName): Placement => ({ netns: host(name).netns, address: host(name).address });
  if (process === 'api-1') return on('app-1');
  if (process === 'api-2') return on('app-2');
  if (['mailer', 'media-worker', 'reports', 'payment-sim'].includes(process)) return on('workers');
  return undefined;
}

/** The api instances of the hosts' shop and where each listens: api-1 on app-1, api-2 on app-2, each on its own port. */
export function apiInstances(config: TenkConfig): Array<{ name: string; url: string }> {
  return [
    { name: 'api-1', url: `http://${host('app-1').address}:${config.services.apiPort}` },
    { name: 'api-2', url: `http://${host('app-2').address}:${config.services.apiPort + 1}` },
  ];
}

/** The shop's processes a host runs (when the shop runs) and the URL that says they are ready. */
function shopProcessesOn(config: TenkConfig, name: HostName): Array<{ name: string; url: string }> {
  const { services } = config;
  const at = host(name).address;
  const [api1, api2] = apiInstances(config);
  if (name === 'app-1') return [{ name: api1.name, url: `${api1.url}/health/ready` }];
  if (name === 'app-2') return [{ name: api2.name, url: `${api2.url}/health/ready` }];
  if (name !== 'workers') return [];
  return [
    { name: 'mailer', url: `http://${at}:${services.mailerPort}/health/ready` },
    { name: 'media-worker', url: `http://${at}:${services.mediaWorkerPort}/health/ready` },
    { name: 'reports', url: `http://${at}:${services.reportsPort}/health/ready` },
    { name: 'payment-sim', url: `http://${at}:${services.paymentSimAdminPort}/health` },
  ];
}

async function probe(name: string, url: string): Promise<{ name: string } & ServiceStatus> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1_500) });
    return { name, running: true, healthy: response.ok, detail: `${url} ${response.status}` };
  } catch {
    return { name, running: false, healthy: false, detail: 'not running (npm run hosts -- shop)' };
  }
}

import { rmSync } from 'node:fs';
import type { TenkConfig } from '@tenk/config';
import { ensurePackages } from './packages';
import type { InfraService, PackageNeed, ServiceStatus } from './service';
import { commandExists } from './shell';
import { jaeger } from './services/jaeger';
import { kafka } from './services/kafka';
import { postgresPrimary, postgresReplica } from './services/postgres';
import { redisCache, redisQueue } from './services/redis';
import { smtpSink } from './services/smtp-sink';

/** The local stack, in start order. */
export const SERVICES: readonly InfraService[] = [postgresPrimary, postgresReplica, redisCache, redisQueue, kafka, smtpSink, jaeger];

/** Tools the shop itself runs, installed with the stack: media-worker's ffmpeg and ffprobe. */
const TOOL_PACKAGES: PackageNeed[] = [{ debian: 'ffmpeg', present: () => commandExists('ffmpeg') && commandExists('ffprobe') }];

/** Packages for optional jobs: browser tests, the balancer lab, the shop under Docker Compose. */
export const OPTIONAL_PACKAGES: Record<string, PackageNeed> = {
  chromium: { debian: 'chromium', present: () => commandExists('chromium') },
  nginx: { debian: 'nginx-light', present: () => commandExists('nginx') },
  wrk: { debian: 'wrk', present: () => commandExists('wrk') },
  // tools/compose: Debian's Docker engine, Compose v1 and debootstrap (for its base image).
  docker: { debian: 'docker.io', present: () => commandExists('dockerd') },
  'docker-compose': { debian: 'docker-compose', present: () => commandExists('docker-compose') },
  debootstrap: { debian: 'debootstrap', present: () => commandExists('debootstrap') },
};

export type Log = (service: string, line: string) => void;

export function selectServices(names: string[]): InfraService[] {
  if (names.length === 0) return [...SERVICES];
  const unknown = names.filter((name) => !SERVICES.some((service) => service.name === name));
  if (unknown.length > 0) throw new Error(`unknown service(s): ${unknown.join(', ')}. Services: ${SERVICES.map((s) => s.name).join(', ')}`);
  return SERVICES.filter((service) => names.includes(service.name));
}

/** Installs what is missing, then starts each service (and what it needs) in order. */
export async function up(config: TenkConfig, names: string[], log: Log): Promise<void> {
  const wanted = withDependencies(selectServices(names));
  await ensurePackages([...wanted.flatMap((service) => service.packages()), ...(names.length === 0 ? TOOL_PACKAGES : [])], (line) =>
    log('packages', line),
  );
  for (const service of wanted) {
    const started = Date.now();
    let before = await service.status(config);
    if (before.running && service.secure) {
      // Running from before: make it ask for this machine's password (in place, data kept).
      await service.secure(config, (line) => log(service.name, line));
      before = await service.status(config);
    }
    if (before.healthy) {
      log(service.name, `already running (pid ${before.pid})`);
      continue;
    }
    try {
      await service.start(config, (line) => log(service.name, line));
      // A stopped stack from before starts with its old settings in places start() keeps (the
      // replica's primary_conninfo): bring those up to date too.
      await service.secure?.(config, (line) => log(service.name, line));
    } catch (error) {
      if (!service.optional) throw error;
      log(service.name, `NOT STARTED: ${error instanceof Error ? error.message : String(error)}`);
      log(service.name, 'the rest of the stack starts without it');
      continue;
    }
    log(service.name, `ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
}

/** Stops services in reverse order. Only ever stops what this tool started (by its pid files). */
export async function down(config: TenkConfig, names: string[], log: Log): Promise<void> {
  for (const service of [...selectServices(names)].reverse()) {
    const status = await service.status(config);
    if (!status.running) continue;
    log(service.name, `stopping (pid ${status.pid})`);
    await service.stop(config, (line) => log(service.name, line));
  }
}

/** Stops everything, deletes all data, starts again from nothing. */
export async function reset(config: TenkConfig, log: Log): Promise<void> {
  await down(config, [], log);
  for (const service of SERVICES) for (const dir of service.dataDirs(config)) rmSync(dir, { recursive: true, force: true });
  rmSync(config.paths.logs, { recursive: true, force: true });
  log('reset', 'data and logs removed');
  await up(config, [], log);
}

export interface StatusRow extends ServiceStatus {
  name: string;
  optional: boolean;
  ports: number[];
}

export async function status(config: TenkConfig): Promise<StatusRow[]> {
  return Promise.all(
    SERVICES.map(async (service) => ({
      name: service.name,
      optional: service.optional ?? false,
      ports: [service.port(config), ...(service.extraPorts?.(config) ?? [])],
      ...(await service.status(config)),
    })),
  );
}

function withDependencies(services: InfraService[]): InfraService[] {
  const names = new Set(services.map((service) => service.name));
  let added = true;
  while (added) {
    added = false;
    for (const service of SERVICES) {
      if (names.has(service.name)) {
        for (const dependency of service.after) {
          if (!names.has(dependency)) {
            names.add(dependency);
            added = true;
          }
        }
      }
    }
  }
  return SERVICES.filter((service) => names.has(service.name));
}

/**
 * up / down / status of the shop under Compose: the engine (installed and started when
 * missing), the base images (made here when no registry has them), the app images (BuildKit:
 * cached layers, so a code change rebuilds only what changed), then the containers with
 * `--scale api=N`, until the storefront answers on 127.0.0.1.
 */
import type { TenkConfig } from '@tenk/config';
import { ensureBaseImages } from './base-images';
import { daemonRunning, engine, ensureDaemon, ensureEnginePackages, stopDaemonIfOurs, type Engine } from './engine';
import {
  baseImagesNeeded,
  compose,
  composeProject,
  containers,
  ensureSecrets,
  volumesOfOtherPasswords,
  waitUntilServing,
  type ComposeProject,
} from './project';
import { bindFailureHolder, ensurePortsFree } from './ports';
import { lastLines, run, seconds, type Log } from './shell';

export interface ComposeShop {
  engine: Engine;
  project: ComposeProject;
  /** The shop was already serving before up() (it is then left running by a test's down). */
  wasServing: boolean;
}

/** Build progress worth a line: each step BuildKit starts and what failed. */
const buildStep = (line: string) =>
  /^#\d+ \[[^\]]+\]|ERROR|error:|Successfully|Building \w|failed/i.test(line) && !/^#\d+ sha256/.test(line);

export async function up(config: TenkConfig, log: Log, scale = 3): Promise<ComposeShop> {
  const started = Date.now();
  await ensureEnginePackages(log);
  const e = engine();
  log(`engine: ${e.docker}, Compose v${e.compose.version} (${[e.compose.command, ...e.compose.args].join(' ')})`);
  await ensureDaemon(config, e, log);
  const project = composeProject(config, e, scale);
  ensureSecrets(log);
  const stale = await volumesOfOtherPasswords(e, project);
  if (stale.length > 0) {
    // PostgreSQL set its passwords when it made these: migrate could not log in with ours.
    log(`${stale.join(', ')}: made with another PostgreSQL password than docker/secrets/pg_password's; removing the project's volumes`);
    await compose(e, project, ['down', '--remove-orphans', '--volumes'], (line) => log(`  ${line}`));
  }
  const existing = await containers(e, project);
  const wasServing = existing.some((c) => c.service === 'balancer' && c.state === 'running');
  // Ports held by something else fail now, naming the variable and the holder, not after
  // minutes of building (checked again just before the containers start).
  const fresh = !existing.some((c) => c.state === 'running');
  if (fresh) await ensurePortsFree(project.ports);
  const needed = baseImagesNeeded();
  let step = Date.now();
  await ensureBaseImages(config, e, needed.build, log);
  log('building the app images (docker/Dockerfile; unchanged layers come from the cache)');
  await compose(e, project, ['build'], (line) => log(`  build: ${line}`), buildStep);
  log(`app images built in ${seconds(step)}`);
  step = Date.now();
  await ensureBaseImages(config, e, needed.run, log);
  log(`stack images ready in ${seconds(step)}`);
  step = Date.now();
  log(`starting project ${project.name} with --scale api=${scale}`);
  if (fresh) await ensurePortsFree(project.ports);
  await compose(e, project, ['up', '-d', '--scale', `api=${scale}`], (line) => log(`  ${line}`)).catch(async (error: Error) => {
    // A port taken since the check: say by what; a container that exited (migrate): its last lines.
    throw new Error(`${error.message}${bindFailureHolder(error.message, project.ports) ?? ''}${await exitedLogs(e, project)}`);
  });
  await waitUntilServing(e, project, log);
  log(`containers up and serving in ${seconds(step)}`);
  log(`the shop: ${project.shopUrl}/ (mail: ${project.mailUrl}/messages); up in ${seconds(started)}`);
  return { engine: e, project, wasServing };
}

/** The last log lines of each of the project's containers that exited with an error (for a failure's message). */
async function exitedLogs(e: Engine, project: ComposeProject): Promise<string> {
  const failed = (await containers(e, project)).filter((c) => c.state === 'exited' && !/^Exited \(0\)/.test(c.status));
  const parts = await Promise.all(
    failed.map(
      async (c) =>
        `\n${c.name} (${c.status}):\n${lastLines((await run(e.docker, ['logs', '--tail', '15', c.name], { env: e.env })).output, 15)}`,
    ),
  );
  return parts.join('');
}

/** Stops and removes the project's containers (and with `volumes`, its data), then dockerd if up() started it. */
export async function down(config: TenkConfig, log: Log, options: { volumes?: boolean } = {}): Promise<void> {
  const e = engine();
  if (await daemonRunning(e)) {
    const project = composeProject(config, e);
    log(`stopping project ${project.name}${options.volumes ? ' and removing its volumes' : ''}`);
    await compose(e, project, ['down', '--remove-orphans', ...(options.volumes ? ['--volumes'] : [])], (line) => log(`  ${line}`));
  }
  await stopDaemonIfOurs(config, log);
}

export async function status(config: TenkConfig, log: Log): Promise<boolean> {
  const e = engine();
  if (!(await daemonRunning(e))) {
    log('no Docker daemon is running');
    return false;
  }
  const project = composeProject(config, e);
  const rows = await containers(e, project);
  for (const row of rows) log(`${row.name.padEnd(34)} ${row.state.padEnd(10)} ${row.health}`);
  log(`${rows.length} containers in project ${project.name}; the shop: ${project.shopUrl}/`);
  return rows.length > 0;
}

/** The size of each app image (and the base images), for docker/README.md. */
export async function imageSizes(e: Engine, project: ComposeProject): Promise<Array<{ image: string; size: string }>> {
  const result = await run(e.docker, ['images', '--format', '{{.Repository}}:{{.Tag}}\t{{.Size}}'], { env: e.env });
  return result.output
    .trim()
    .split('\n')
    .map((line) => line.split('\t'))
    .filter(([image]) => image.startsWith(project.name))
    .map(([image, size]) => ({ image, size }));
}

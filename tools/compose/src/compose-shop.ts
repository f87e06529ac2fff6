/**
 * up / down / status of the shop under Compose: the engine (installed and started when
 * missing), the base images (made here when no registry has them), the app images (BuildKit:
 * cached layers, so a code change rebuilds only what changed), then the containers with
 * `--scale api=N`, until the storefront answers on 127.0.0.1.
 */
import type { TenkConfig } from '@tenk/config';
import { ensureBaseImages, RECIPE_LABEL } from './base-images';
import { daemonRunning, engine, ensureDaemon, ensureEnginePackages, stopDaemonIfOurs, type Engine } from './engine';
import {
  baseImagesNeeded,
  compose,
  composeProject,
  containers,
  ensureSecrets,
  volumesOfOtherPasswords,
  waitUntilServing,
  type ComposeForm,
  type ComposeProject,
} from './project';
import { bindFailureHolder, ensurePortsFree } from './ports';
import { lastLines, run, runOrThrow, seconds, type Log } from './shell';

export interface ComposeShop {
  engine: Engine;
  project: ComposeProject;
  /** The shop was already serving before up() (it is then left running by a test's down). */
  wasServing: boolean;
}

/** Build progress worth a line: each step BuildKit starts and what failed. */
const buildStep = (line: string) =>
  /^#\d+ \[[^\]]+\]|ERROR|error:|Successfully|Building \w|failed/i.test(line) && !/^#\d+ sha256/.test(line);

export async function up(config: TenkConfig, log: Log, scale = 3, form: ComposeForm = {}): Promise<ComposeShop> {
  const started = Date.now();
  await ensureEnginePackages(log);
  const e = engine();
  log(`engine: ${e.docker}, Compose v${e.compose.version} (${[e.compose.command, ...e.compose.args].join(' ')})`);
  await ensureDaemon(config, e, log);
  const project = composeProject(config, e, scale, form);
  try {
    return await start(config, e, project, log, started);
  } catch (error) {
    // Nothing of the project runs (a port taken, a build failed): a dockerd up() started has nothing to show.
    if (!(await containers(e, project)).some((c) => c.state === 'running')) await stopDaemonIfOurs(config, log);
    throw error;
  }
}

async function start(config: TenkConfig, e: Engine, project: ComposeProject, log: Log, started: number): Promise<ComposeShop> {
  const scale = project.scale;
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
  await pruneImages(e, project, log);
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

/**
 * Stops and removes the project's containers (with `volumes`: its data, and the images earlier
 * builds left untagged), then dockerd if up() started it.
 */
export async function down(config: TenkConfig, log: Log, options: { volumes?: boolean } & ComposeForm = {}): Promise<void> {
  const e = engine();
  // The volumes and images outlive the daemon: to remove them, start one (and stop it again below).
  if (options.volumes && !(await daemonRunning(e))) await ensureDaemon(config, e, log);
  if (await daemonRunning(e)) {
    const project = composeProject(config, e, 3, options);
    log(`stopping project ${project.name}${options.volumes ? ' and removing its volumes' : ''}`);
    await compose(e, project, ['down', '--remove-orphans', ...(options.volumes ? ['--volumes'] : [])], (line) => log(`  ${line}`));
    if (options.volumes) await pruneImages(e, project, log);
  }
  await stopDaemonIfOurs(config, log);
}

/** `npm run compose -- prune`: the images earlier builds left untagged, with dockerd started for it (and stopped again) when none runs. */
export async function prune(config: TenkConfig, log: Log, form: ComposeForm = {}): Promise<void> {
  const e = engine();
  await ensureDaemon(config, e, log);
  try {
    await pruneImages(e, composeProject(config, e, 3, form), log);
    // What Docker holds now, images and BuildKit cache (the cache is left for quick rebuilds).
    const usage = await runOrThrow(e.docker, ['system', 'df', '--format', '{{.Type}}\t{{.TotalCount}}\t{{.Size}}\t{{.Reclaimable}}'], {
      env: e.env,
    });
    for (const [type, count, size, reclaimable] of usage.output
      .trim()
      .split('\n')
      .map((line) => line.split('\t')))
      log(`${type.padEnd(14)} ${count.padStart(4)} ${size.padStart(10)} (reclaimable ${reclaimable})`);
  } finally {
    await stopDaemonIfOurs(config, log);
  }
}

/**
 * Removes tenk's dangling images: those a rebuild left without a tag (the app images of earlier
 * builds, base images made again). Ours are those built from the base images made here (they
 * inherit RECIPE_LABEL) or labelled with the project by Compose v2; nobody else's are touched,
 * nor the BuildKit cache that keeps rebuilds quick.
 */
export async function pruneImages(e: Engine, project: ComposeProject, log: Log): Promise<void> {
  const before = await danglingImages(e);
  let reclaimed = '';
  for (const label of [RECIPE_LABEL, `com.docker.compose.project=${project.name}`]) {
    const result = await runOrThrow(e.docker, ['image', 'prune', '--force', '--filter', `label=${label}`], { env: e.env });
    const space = /Total reclaimed space:\s*(\S+)/.exec(result.output)?.[1];
    if (space && !/^0B$/.test(space)) reclaimed += `${reclaimed ? ' + ' : ''}${space}`;
  }
  const removed = before - (await danglingImages(e));
  if (removed > 0) log(`removed ${removed} untagged image(s) earlier builds left (${reclaimed || 'layers shared with others'})`);
}

async function danglingImages(e: Engine): Promise<number> {
  const result = await runOrThrow(e.docker, ['images', '--quiet', '--filter', 'dangling=true'], { env: e.env });
  return result.output.split('\n').filter((line) => line.trim()).length;
}

export async function status(config: TenkConfig, log: Log, form: ComposeForm = {}): Promise<boolean> {
  const e = engine();
  if (!(await daemonRunning(e))) {
    log('no Docker daemon is running');
    return false;
  }
  const project = composeProject(config, e, 3, form);
  const rows = await containers(e, project);
  for (const row of rows) log(`${row.name.padEnd(34)} ${row.state.padEnd(10)} ${row.health}`);
  log(`${rows.length} containers in project ${project.name}; the shop: ${project.shopUrl}/`);
  return rows.length > 0;
}

/** The size of each app image (and the base images), for docker/README.md. */
export async function imageSizes(e: Engine, project: ComposeProject): Promise<Array<{ image: string; size: string }>> {
  const result = await run(e.docker, ['images', '--format', '{{.Repository}}:{{.Tag}}\t{{.Size}}'], { env: e.env });
  return (
    result.output
      .trim()
      .split('\n')
      .map((line) => line.split('\t'))
      // <project>_<service> (v1) or <project>-<service> (v2); v1's underscore keeps tenk-compose's apart from tenk-compose-cluster's.
      .filter(([image]) => image.startsWith(`${project.name}${e.compose.version === 2 ? '-' : '_'}`))
      .map(([image, size]) => ({ image, size }))
  );
}

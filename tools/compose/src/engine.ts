/**
 * The Docker engine tools/compose runs the shop in: Debian's `docker.io` (dockerd, containerd,
 * and its 20.10 client, which has BuildKit built in) and a Compose implementation: the
 * `docker compose` plugin where one is installed, otherwise Debian's `docker-compose` (Compose
 * v1, the only one Debian 12 packages). Missing packages are installed through tools/infra
 * (apt-get); dockerd is started when none runs, and `down` stops it only if `up` started it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TenkConfig } from '@tenk/config';
import { lastLines, run, runOrThrow, sleep, type Log } from './shell';

export const ROOT = path.resolve(__dirname, '../../..');
const SOCKET = '/var/run/docker.sock';
const DEBIAN_DOCKER = '/usr/bin/docker';

export interface Engine {
  /** The docker client to use (Debian's where it is installed: BuildKit without buildx). */
  docker: string;
  /** How to run Compose: the plugin (`docker compose`, v2) or `docker-compose` (v1). */
  compose: { command: string; args: string[]; version: 1 | 2 };
  /** The environment both run with: BuildKit on, this client first on PATH (Compose v1 calls `docker build`). */
  env: NodeJS.ProcessEnv;
}

const isRoot = (): boolean => process.getuid?.() === 0;
const has = (command: string): boolean => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;

/**
 * Why Docker cannot run here at all, or undefined when it can (then a failure to install or
 * start it is an error, not a reason to skip). Synchronous: test files decide with it.
 */
export function dockerUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `Docker is run by tools/compose on Linux only (this is ${process.platform})`;
  try {
    accessSync(SOCKET, constants.R_OK | constants.W_OK);
    return undefined;
  } catch {
    // No daemon we may use: we need to install and start one ourselves.
  }
  if (!isRoot()) return `no usable Docker daemon at ${SOCKET}, and installing and starting one (docker.io, dockerd) needs root`;
  if (!has('dockerd') && !has('apt-get')) return "no dockerd, and no apt-get to install Debian's docker.io";
  return undefined;
}

/** The Debian packages missing for compose: the engine, a Compose, debootstrap for the base image. */
function missingPackages(): string[] {
  const missing: string[] = [];
  if (!has('dockerd') || !existsSync(DEBIAN_DOCKER)) missing.push('docker');
  if (!composePlugin(existsSync(DEBIAN_DOCKER) ? DEBIAN_DOCKER : 'docker') && !has('docker-compose')) missing.push('docker-compose');
  if (!has('debootstrap')) missing.push('debootstrap');
  return missing;
}

function composePlugin(docker: string): boolean {
  return spawnSync(docker, ['compose', 'version'], { stdio: 'ignore' }).status === 0;
}

/** Installs what is missing (tools/infra's `install`: apt-get, root only). */
export async function ensureEnginePackages(log: Log): Promise<void> {
  const missing = missingPackages();
  if (missing.length === 0) return;
  log(`installing ${missing.join(', ')} (Debian packages, first run only)`);
  await runOrThrow(
    process.execPath,
    ['-r', path.join(ROOT, 'tools/register.cjs'), path.join(ROOT, 'tools/infra/src/main.ts'), 'install', ...missing],
    { cwd: ROOT, log: (line) => log(line.replace(/^\[infra\]\s*/, '')) },
  );
}

export function engine(): Engine {
  const docker = existsSync(DEBIAN_DOCKER) ? DEBIAN_DOCKER : 'docker';
  const env = {
    ...process.env,
    PATH: `${path.dirname(docker) === '.' ? '' : `${path.dirname(docker)}:`}${process.env['PATH'] ?? ''}`,
    DOCKER_BUILDKIT: '1',
    COMPOSE_DOCKER_CLI_BUILD: '1',
  };
  const compose: Engine['compose'] = composePlugin(docker)
    ? { command: docker, args: ['compose'], version: 2 }
    : { command: 'docker-compose', args: [], version: 1 };
  return { docker, compose, env };
}

function daemonFiles(config: TenkConfig) {
  const run = path.join(config.paths.run, 'compose');
  mkdirSync(run, { recursive: true });
  mkdirSync(config.paths.logs, { recursive: true });
  return { pid: path.join(run, 'dockerd.pid'), log: path.join(config.paths.logs, 'dockerd.log') };
}

export async function daemonRunning(e: Engine): Promise<boolean> {
  return (await run(e.docker, ['version', '--format', '{{.Server.Version}}'], { env: e.env, timeoutMs: 20_000 })).code === 0;
}

/**
 * Starts dockerd when none answers, published ports defaulting to 127.0.0.1 (`--ip`), and
 * notes its pid so `down` stops the daemon it started (and no other).
 */
export async function ensureDaemon(config: TenkConfig, e: Engine, log: Log): Promise<void> {
  if (await daemonRunning(e)) return;
  if (!isRoot()) throw new Error(`no Docker daemon answers at ${SOCKET}, and starting dockerd needs root`);
  const files = daemonFiles(config);
  log(`starting dockerd (log: ${files.log})`);
  const out = openSync(files.log, 'a');
  const child = spawn('dockerd', ['--ip', '127.0.0.1'], { detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  child.unref();
  writeFileSync(files.pid, String(child.pid));
  const deadline = Date.now() + 90_000;
  while (!(await daemonRunning(e))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      rmSync(files.pid, { force: true });
      throw new Error(`dockerd did not start: ${lastLines(readFileSync(files.log, 'utf8'), 8)}`);
    }
    await sleep(500);
  }
  log('dockerd is up');
}

/** Stops dockerd if ensureDaemon() started it (its pid file); a daemon someone else runs is left alone. */
export async function stopDaemonIfOurs(config: TenkConfig, log: Log): Promise<void> {
  const files = daemonFiles(config);
  if (!existsSync(files.pid)) return;
  const pid = Number(readFileSync(files.pid, 'utf8').trim());
  rmSync(files.pid, { force: true });
  if (!alive(pid)) return;
  log(`stopping dockerd (pid ${pid}), which tools/compose started`);
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 60_000;
  while (alive(pid) && Date.now() < deadline) await sleep(250);
  if (alive(pid)) process.kill(pid, 'SIGKILL');
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

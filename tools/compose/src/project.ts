/**
 * The shop as a Compose project: docker/docker-compose.yml (the stack) plus
 * docker/docker-compose.shop.yml (the apps), and for the cluster form
 * docker/docker-compose.cluster.yml (three Kafka nodes, two shard servers), under a project name
 * of each form's and on published ports of its own (127.0.0.1 only), so it never meets
 * tools/infra's stack or an e2e shop on this machine.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { parse } from 'yaml';
import type { TenkConfig } from '@tenk/config';
import { ROOT, type Engine } from './engine';
import { run, runOrThrow, sleep, type Log } from './shell';

export const DOCKER_DIR = path.join(ROOT, 'docker');
export const COMPOSE_FILES = ['docker-compose.yml', 'docker-compose.shop.yml'].map((file) => path.join(DOCKER_DIR, file));
/** Layered on COMPOSE_FILES: the topology of `npm run hosts` and deploy/kubernetes. */
export const CLUSTER_FILE = path.join(DOCKER_DIR, 'docker-compose.cluster.yml');

/** Which of the two shops: the one-broker stack, or the cluster (three Kafka nodes, two shard servers). */
export interface ComposeForm {
  cluster?: boolean;
}

/** The files Compose is given, in order (later ones override and add to earlier ones). */
export const composeFiles = ({ cluster = false }: ComposeForm = {}): string[] =>
  cluster ? [...COMPOSE_FILES, CLUSTER_FILE] : COMPOSE_FILES;

/**
 * Each form's project name (TENK_COMPOSE_PROJECT, or tenk-compose and tenk-compose-cluster):
 * two, so that neither starts on the other's volumes (a primary with or without the shard
 * databases, one Kafka node's log) or takes the other's containers for its own.
 */
export function projectName({ cluster = false }: ComposeForm = {}, env: NodeJS.ProcessEnv = process.env): string {
  const base = env['TENK_COMPOSE_PROJECT'] ?? 'tenk-compose';
  return cluster ? `${base}-cluster` : base;
}

/**
 * The published ports tools/compose uses (TENK_DOCKER_* in the compose files), unless the
 * environment sets them: a block of its own (27xxx), away from tools/infra's (5xxxx), the e2e
 * shop's (4xxx, 18xxx) and the lab's and tools/hosts' (5xxx, 28xxx), and below Linux's ephemeral
 * port range (32768-60999), where any outgoing connection may hold one at the moment Compose
 * publishes it.
 */
export const COMPOSE_PORTS: Record<string, number> = {
  TENK_DOCKER_SHOP_PORT: 27080,
  TENK_DOCKER_NGINX_PORT: 27090,
  TENK_DOCKER_PAYMENT_ADMIN_PORT: 27201,
  TENK_DOCKER_PG_PORT: 27432,
  TENK_DOCKER_PG_REPLICA_PORT: 27433,
  TENK_DOCKER_REDIS_CACHE_PORT: 27379,
  TENK_DOCKER_REDIS_QUEUE_PORT: 27380,
  TENK_DOCKER_KAFKA_PORT: 27092,
  // The cluster form's other two Kafka nodes (docker-compose.cluster.yml).
  TENK_DOCKER_KAFKA_2_PORT: 27093,
  TENK_DOCKER_KAFKA_3_PORT: 27094,
  TENK_DOCKER_SMTP_PORT: 27525,
  TENK_DOCKER_SMTP_HTTP_PORT: 27025,
  TENK_DOCKER_JAEGER_UI_PORT: 27686,
  TENK_DOCKER_JAEGER_OTLP_PORT: 27318,
  TENK_DOCKER_JAEGER_GRPC_PORT: 27685,
};

/** The ports only the cluster form publishes (the one-broker form neither needs nor checks them). */
export const CLUSTER_PORTS = ['TENK_DOCKER_KAFKA_2_PORT', 'TENK_DOCKER_KAFKA_3_PORT'];

export interface ComposeProject {
  name: string;
  scale: number;
  cluster: boolean;
  /** The compose files, in the order Compose reads them. */
  files: string[];
  ports: Record<string, number>;
  /** The environment Compose runs with: the engine's, the ports, the api-servers file. */
  env: NodeJS.ProcessEnv;
  shopUrl: string;
  /** The same shop through nginx (the nginx profile). */
  nginxUrl: string;
  mailUrl: string;
}

export function composeProject(config: TenkConfig, e: Engine, scale = 3, form: ComposeForm = {}): ComposeProject {
  const cluster = form.cluster ?? false;
  const name = projectName(form);
  const ports = Object.fromEntries(
    Object.entries(COMPOSE_PORTS)
      .filter(([key]) => cluster || !CLUSTER_PORTS.includes(key))
      .map(([key, port]) => [key, Number(process.env[key] ?? port)]),
  );
  const dir = path.join(config.paths.state, 'compose');
  mkdirSync(dir, { recursive: true });
  // tenk's balancer lists the api containers by name, and the two Compose versions name them
  // differently: <project>-api-N (v2) or <project>_api_N (v1).
  // One file per project: `down` of one form rewrites its own list, never the running other's.
  const servers = path.join(dir, `${name}.api-servers.conf`);
  const separator = e.compose.version === 2 ? '-' : '_';
  writeFileSync(
    servers,
    [
      `# Written by tools/compose: the ${scale} api containers of Compose project ${name} (Compose v${e.compose.version}).`,
      ...Array.from(
        { length: scale },
        (_, i) => `server ${name}${separator}api${separator}${i + 1}:3001 max_fails=3 fail_timeout=5s max_conns=64;`,
      ),
      '',
    ].join('\n'),
  );
  const env = {
    ...e.env,
    ...Object.fromEntries(Object.entries(ports).map(([key, port]) => [key, String(port)])),
    TENK_DOCKER_API_SERVERS: servers,
    TENK_DOCKER_PG_PASSWORD_ID: pgPasswordId(),
  };
  return {
    name,
    scale,
    cluster,
    files: composeFiles(form),
    ports,
    env,
    shopUrl: `http://127.0.0.1:${ports['TENK_DOCKER_SHOP_PORT']}`,
    nginxUrl: `http://127.0.0.1:${ports['TENK_DOCKER_NGINX_PORT']}`,
    mailUrl: `http://127.0.0.1:${ports['TENK_DOCKER_SMTP_HTTP_PORT']}`,
  };
}

/** The Compose profiles tools/compose runs: nginx beside tenk's balancer, with the same routing. */
export const PROFILES = ['nginx'];

/** `docker compose -p NAME -f ... -f ... --profile nginx` (or docker-compose) with the given arguments. */
export function compose(e: Engine, project: ComposeProject, args: string[], log?: Log, show?: (line: string) => boolean) {
  const files = project.files.flatMap((file) => ['-f', file]);
  const profiles = PROFILES.flatMap((profile) => ['--profile', profile]);
  return runOrThrow(e.compose.command, [...e.compose.args, '-p', project.name, ...files, ...profiles, ...args], {
    cwd: ROOT,
    env: project.env,
    log,
    show,
  });
}

/** The passwords docker/ reads as Docker secrets (docker/secrets/, git-ignored): made once, as docker/README.md says. */
export function ensureSecrets(log: Log): void {
  const dir = path.join(DOCKER_DIR, 'secrets');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  for (const name of ['pg_password', 'redis_password']) {
    const file = path.join(dir, name);
    if (existsSync(file)) continue;
    writeFileSync(file, `${randomBytes(24).toString('hex')}\n`);
    // The containers' own users (postgres, redis, node) read them; the folder keeps others out.
    chmodSync(file, 0o644);
    log(`made docker/secrets/${name}`);
  }
}

/** The label the PostgreSQL volumes carry: a fingerprint of the password they were made with. */
export const PG_PASSWORD_LABEL = 'dev.tenk.compose.pg-password';

/** A fingerprint (not the password: 16 hex digits of its SHA-256) of docker/secrets/pg_password; empty while there is none. */
export function pgPasswordId(): string {
  const file = path.join(DOCKER_DIR, 'secrets', 'pg_password');
  return existsSync(file) ? createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 16) : '';
}

/**
 * The project's PostgreSQL volumes made with another password than docker/secrets/pg_password's
 * (another checkout's secrets, or secrets made again; unlabelled: made before volumes carried
 * the label, so which password is not known). No container here could open them.
 */
export async function volumesOfOtherPasswords(e: Engine, project: ComposeProject): Promise<string[]> {
  const result = await runOrThrow(
    e.docker,
    [
      'volume',
      'ls',
      '--filter',
      `label=com.docker.compose.project=${project.name}`,
      '--format',
      `{{.Name}}\t{{.Label "${PG_PASSWORD_LABEL}"}}`,
    ],
    { env: e.env },
  );
  const id = pgPasswordId();
  return result.output
    .trim()
    .split('\n')
    .map((line) => line.split('\t'))
    .filter(([name, label]) => /[-_](primary|replica|shard-[a-z])-data$/.test(name ?? '') && label !== id)
    .map(([name]) => name);
}

/**
 * The images the compose files start from: those docker/Dockerfile builds FROM (not its own
 * stages; nginx's too, as tools/compose runs the nginx profile), and those the stack's services
 * run (`image:`).
 */
export function baseImagesNeeded(): { build: string[]; run: string[] } {
  const dockerfile = readFileSync(path.join(DOCKER_DIR, 'Dockerfile'), 'utf8');
  const stages = new Set([...dockerfile.matchAll(/^FROM \S+ AS (\S+)$/gm)].map((match) => match[1]));
  const build = new Set<string>();
  for (const [, image] of dockerfile.matchAll(/^FROM (\S+) AS (\S+)$/gm)) {
    if (!stages.has(image)) build.add(image);
  }
  const run = new Set<string>();
  for (const file of composeFiles({ cluster: true })) {
    const services = (parse(readFileSync(file, 'utf8')) as { services: Record<string, { image?: string }> }).services;
    for (const service of Object.values(services)) if (service.image && !build.has(service.image)) run.add(service.image);
  }
  return { build: [...build], run: [...run] };
}

export interface ContainerState {
  service: string;
  name: string;
  state: string;
  health: string;
  /** As `docker ps` says it: `Up 2 minutes (healthy)`, `Exited (1) 3 seconds ago`. */
  status: string;
}

/** The project's containers and their states (docker ps, by Compose's labels). */
export async function containers(e: Engine, project: ComposeProject): Promise<ContainerState[]> {
  const result = await run(
    e.docker,
    [
      'ps',
      '-a',
      '--filter',
      `label=com.docker.compose.project=${project.name}`,
      '--format',
      '{{.Label "com.docker.compose.service"}}\t{{.Names}}\t{{.State}}\t{{.Status}}',
    ],
    { env: e.env },
  );
  return result.output
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [service, name, state, status] = line.split('\t');
      const health = /\((healthy|unhealthy|health: starting)\)/.exec(status)?.[1] ?? '';
      return { service, name, state, health, status };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Waits until every api container is healthy and the storefront and the catalog answer (the catalog through nginx too). */
export async function waitUntilServing(e: Engine, project: ComposeProject, log: Log, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const apis = (await containers(e, project)).filter((c) => c.service === 'api');
    const healthy = apis.filter((c) => c.health === 'healthy').length;
    const page = await probe(`${project.shopUrl}/`);
    const products = await probe(`${project.shopUrl}/products?limit=1`);
    const nginx = await probe(`${project.nginxUrl}/products?limit=1`);
    const now = `api ${healthy}/${project.scale} healthy, storefront ${page}, /products ${products}, through nginx ${nginx}`;
    if (healthy === project.scale && page === 200 && products === 200 && nginx === 200) {
      log(`serving: ${now}`);
      return;
    }
    if (now !== last) log(`waiting: ${now}`);
    last = now;
    if (Date.now() > deadline) throw new Error(`the shop did not come up within ${timeoutMs / 1000} s (${now})`);
    await sleep(1_000);
  }
}

async function probe(url: string): Promise<number | string> {
  // A timer of our own: AbortSignal.timeout()'s does not keep Node running, and while a published
  // port accepts but nothing answers behind it, nothing else would (the process exited, code 0).
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 3_000);
  try {
    return (await fetch(url, { signal: controller.signal })).status;
  } catch {
    return 'no answer';
  } finally {
    clearTimeout(timer);
  }
}

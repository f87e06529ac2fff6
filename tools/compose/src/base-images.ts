/**
 * The images docker/ starts from (node, nginx, postgres, redis, apache/kafka, jaegertracing/jaeger),
 * pulled where a registry answers, otherwise made here under the same names from a Debian root
 * (debootstrap --variant=minbase bookworm, `docker import`) and Debian's packages, this
 * machine's Node and npm, Kafka's jars from Maven Central and the Jaeger binary tools/infra
 * builds. Each made image carries a label with the hash of what it was made from: it is made
 * again only when that changes, so later runs (and app rebuilds) start from cached images.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TenkConfig } from '@tenk/config';
import { ROOT, type Engine } from './engine';
import { run, runOrThrow, seconds, type Log } from './shell';

export const BASE_IMAGE = 'tenk/debian-minbase:bookworm';
/** The label of the images made here; images built FROM them inherit it. */
export const RECIPE_LABEL = 'dev.tenk.compose.recipe';
const LABEL = RECIPE_LABEL;
const IMAGES_DIR = path.join(ROOT, 'tools/compose/images');
const JAEGER_VERSION = 'v1.75.0';

/** One image made here: its folder under tools/compose/images and the machine files it adds. */
export interface Recipe {
  tag: string;
  folder: string;
  /** Files and folders copied into the build context (name in the context -> path here). */
  extras(config: TenkConfig, log: Log): Promise<Record<string, string>>;
  /**
   * Whether extras() has its files at hand (false: it would fetch or build them, for minutes).
   * Without them an image made here before is kept as it is: a fresh state folder (a new
   * clone's) does not build Jaeger with Go, nor fetch Kafka's jars, only to find the same hash.
   */
  atHand?(config: TenkConfig): boolean;
}

export const RECIPES: readonly Recipe[] = [
  {
    tag: 'node:20-bookworm-slim',
    folder: 'node',
    extras: async () => ({
      node: process.execPath,
      npm: npmFolder(),
      // What this machine trusts (an empty bundle where it has none).
      'ca-certificates.crt': caBundle(),
    }),
  },
  { tag: 'nginx:1.27-bookworm', folder: 'nginx', extras: async () => ({}) },
  { tag: 'postgres:15', folder: 'postgres', extras: async () => ({}) },
  { tag: 'redis:7', folder: 'redis', extras: async () => ({}) },
  {
    tag: 'apache/kafka:3.9.1',
    folder: 'kafka',
    extras: async (config, log) => ({ libs: await kafkaJars(config, log) }),
    atHand: (config) => kafkaJarsAtHand(kafkaLibs(config)),
  },
  {
    tag: 'jaegertracing/jaeger:2.12.0',
    folder: 'jaeger',
    extras: async (config, log) => ({ jaeger: await jaegerBinary(config, log) }),
    atHand: (config) => existsSync(jaegerPath(config)),
  },
];

/** Makes (or pulls) every image in `tags` that Docker does not have yet, or whose recipe changed. */
export async function ensureBaseImages(config: TenkConfig, e: Engine, tags: readonly string[], log: Log): Promise<void> {
  for (const tag of tags) {
    const recipe = RECIPES.find((candidate) => candidate.tag === tag);
    if (!recipe) throw new Error(`tools/compose has no recipe for ${tag}, and the compose files need it`);
    const started = Date.now();
    const context = path.join(config.paths.cache, 'compose', 'context', recipe.folder);
    rmSync(context, { recursive: true, force: true });
    mkdirSync(context, { recursive: true });
    cpSync(path.join(IMAGES_DIR, recipe.folder), context, { recursive: true });
    const have = await imageLabel(e, tag);
    // An image without our label was pulled or made by someone else: it is used as it is.
    if (typeof have === 'string' && recipe.atHand?.(config) === false) {
      log(`${tag}: kept as made before (what it is made from is not in ${config.paths.cache} to compare)`);
    } else if (have === null || have !== undefined) {
      for (const [name, source] of Object.entries(await recipe.extras(config, log)))
        cpSync(source, path.join(context, name), { recursive: true });
      const hash = hashTree(context);
      if (have === hash) {
        rmSync(context, { recursive: true, force: true });
        continue;
      }
      if (have === null && (await tryPull(e, tag, log))) continue;
      await ensureBaseRoot(config, e, log);
      log(`${tag}: making it here from ${BASE_IMAGE} (tools/compose/images/${recipe.folder})`);
      await runOrThrow(e.docker, ['build', '--label', `${LABEL}=${hash}`, '-t', tag, context], {
        env: e.env,
        log: (line) => log(`  ${tag}: ${line}`),
        show: (line) => /^#\d+ \[|DONE|ERROR|error/i.test(line) && !/^#\d+ sha256/.test(line),
      });
      log(`${tag}: made in ${seconds(started)}`);
    }
    rmSync(context, { recursive: true, force: true });
  }
}

/** The recipe label of a local image: null when Docker has no such image, undefined when it has no label. */
async function imageLabel(e: Engine, tag: string): Promise<string | null | undefined> {
  const result = await run(e.docker, ['image', 'inspect', '--format', `{{index .Config.Labels "${LABEL}"}}`, tag], { env: e.env });
  if (result.code !== 0) return null;
  const label = result.output.trim();
  return label && label !== '<no value>' ? label : undefined;
}

async function tryPull(e: Engine, tag: string, log: Log): Promise<boolean> {
  const result = await run(e.docker, ['pull', tag], { env: e.env, timeoutMs: 120_000 });
  if (result.code === 0) {
    log(`${tag}: pulled`);
    return true;
  }
  log(`${tag}: cannot be pulled (${result.output.trim().split('\n').at(-1)?.slice(0, 120)})`);
  return false;
}

/** The Debian root every made image starts from: debootstrap (minbase) and `docker import`, once. */
async function ensureBaseRoot(config: TenkConfig, e: Engine, log: Log): Promise<void> {
  if ((await imageLabel(e, BASE_IMAGE)) !== null) return;
  const started = Date.now();
  const rootfs = path.join(config.paths.cache, 'compose', 'rootfs');
  rmSync(rootfs, { recursive: true, force: true });
  mkdirSync(path.dirname(rootfs), { recursive: true });
  log(`${BASE_IMAGE}: debootstrap --variant=minbase bookworm (first run only, ~30-110 s)`);
  await runOrThrow('debootstrap', ['--variant=minbase', 'bookworm', rootfs, 'http://deb.debian.org/debian'], {
    log: (line) => log(`  debootstrap: ${line}`),
    show: (line) =>
      /^I: (Retrieving Packages|Validating Packages|Installing core|Unpacking the base|Configuring the base|Base system)/.test(line),
  });
  // As Debian's own slim images: no package caches, lists or documentation.
  for (const dir of ['var/cache/apt/archives', 'var/lib/apt/lists', 'usr/share/doc', 'usr/share/man', 'usr/share/info']) {
    for (const entry of readdirSync(path.join(rootfs, dir))) {
      if (entry !== 'partial' && entry !== 'lock') rmSync(path.join(rootfs, dir, entry), { recursive: true, force: true });
    }
  }
  await runOrThrow(
    'sh',
    ['-c', `tar -C "$0" -c . | "$1" import -c 'CMD ["bash"]' -c 'ENV LANG=C.UTF-8' - "$2"`, rootfs, e.docker, BASE_IMAGE],
    {
      env: e.env,
    },
  );
  rmSync(rootfs, { recursive: true, force: true });
  log(`${BASE_IMAGE}: made in ${seconds(started)}`);
}

function npmFolder(): string {
  const cli = realpathSync(path.join(path.dirname(process.execPath), 'npm'));
  return path.resolve(path.dirname(cli), '..');
}

function caBundle(): string {
  const bundle = process.env['NODE_EXTRA_CA_CERTS'] ?? '/etc/ssl/certs/ca-certificates.crt';
  if (existsSync(bundle)) return bundle;
  return path.join(IMAGES_DIR, 'node', 'empty-ca.crt');
}

/** Kafka's broker and tools jars (images/kafka/pom.xml), at tools/infra's Kafka version, fetched once with Maven. */
async function kafkaJars(config: TenkConfig, log: Log): Promise<string> {
  const version = kafkaVersion();
  const libs = kafkaLibs(config, version);
  if (kafkaJarsAtHand(libs)) return libs;
  log(`fetching Apache Kafka ${version} jars with Maven (first run only)`);
  mkdirSync(libs, { recursive: true });
  await runOrThrow('mvn', [
    '-B',
    '-q',
    '-f',
    path.join(IMAGES_DIR, 'kafka', 'pom.xml'),
    `-Dkafka.version=${version}`,
    `-Dmaven.repo.local=${path.join(config.paths.cache, 'm2')}`,
    'dependency:copy-dependencies',
    `-DoutputDirectory=${libs}`,
  ]);
  return libs;
}

function kafkaVersion(): string {
  const infraPom = readFileSync(path.join(ROOT, 'tools/infra/kafka/pom.xml'), 'utf8');
  const version = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(infraPom)?.[1];
  if (!version) throw new Error('tools/infra/kafka/pom.xml has no <kafka.version>');
  return version;
}

const kafkaLibs = (config: TenkConfig, version = kafkaVersion()): string => path.join(config.paths.cache, `kafka-image-${version}`, 'libs');
const kafkaJarsAtHand = (libs: string): boolean => existsSync(libs) && readdirSync(libs).some((jar) => jar.startsWith('kafka-tools-'));
const jaegerPath = (config: TenkConfig): string => path.join(config.paths.cache, `jaeger-${JAEGER_VERSION}`, 'bin', 'jaeger');

/** The Jaeger binary tools/infra builds with the machine's Go (`infra up jaeger` builds it when missing). */
async function jaegerBinary(config: TenkConfig, log: Log): Promise<string> {
  const binary = jaegerPath(config);
  if (!existsSync(binary)) {
    log('Jaeger is not built yet: npm run infra -- up jaeger (builds it with Go, once: minutes)');
    await runOrThrow(
      process.execPath,
      ['-r', path.join(ROOT, 'tools/register.cjs'), path.join(ROOT, 'tools/infra/src/main.ts'), 'up', 'jaeger'],
      { cwd: ROOT, env: process.env, log: (line) => log(`  ${line}`), show: (line) => /jaeger/.test(line) },
    );
  }
  return binary;
}

/** A hash of every file's path and bytes under `dir` (sizes and times of big binaries would do, but this is a few seconds). */
export function hashTree(dir: string): string {
  const hash = createHash('sha256');
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(current, entry.name);
      hash.update(path.relative(dir, full));
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) hash.update(statSync(full).size > 32 * 1024 * 1024 ? `${statSync(full).size}` : readFileSync(full));
    }
  };
  walk(dir);
  return hash.digest('hex').slice(0, 16);
}

/** Writes the empty CA bundle a node image gets on a machine without one. */
export function ensureEmptyCaFile(): void {
  const file = path.join(IMAGES_DIR, 'node', 'empty-ca.crt');
  if (!existsSync(file)) writeFileSync(file, '');
}

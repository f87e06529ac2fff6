/**
 * Compose files read as Compose reads several of them together (`-f a -f b -f c`), for checks
 * that need no Docker: `${VAR:-default}` filled in from an environment, YAML merge keys, and
 * each later file merged into the earlier ones with Compose's rules for the keys docker/ uses
 * (environment, depends_on and networks merged by name; ports, secrets and volumes added;
 * anything else, command and healthcheck included, replaced). `docker-compose config` is the
 * real thing, where it is installed (cluster-topology.spec.ts runs it too).
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export interface ComposeService {
  image?: string;
  environment: Record<string, string>;
  depends_on: Record<string, { condition?: string }>;
  networks: Record<string, unknown>;
  ports: string[];
  volumes: string[];
  secrets: string[];
  command?: string | string[];
  entrypoint?: string | string[];
  healthcheck?: { test?: string[] };
  [key: string]: unknown;
}

export interface ComposeModel {
  services: Record<string, ComposeService>;
  networks: Record<string, { internal?: boolean } | null>;
  volumes: Record<string, unknown>;
}

type Mapping = Record<string, unknown>;

/** `${NAME:-default}`, `${NAME-default}` and `${NAME}` from `env` (the default where it has none); `$$` is a `$`. */
export function interpolate(text: string, env: Record<string, string | undefined>): string {
  return text.replace(/\$\$|\$\{(\w+)(?::?-([^}]*))?\}/g, (_, name: string | undefined, fallback: string | undefined) =>
    name === undefined ? '$' : (env[name] ?? fallback ?? ''),
  );
}

/** The files merged in order, as Compose would run them with `env`. */
export function readComposeFiles(files: readonly string[], env: Record<string, string | undefined> = {}): ComposeModel {
  const model: ComposeModel = { services: {}, networks: {}, volumes: {} };
  for (const file of files) {
    const document = parse(readFileSync(file, 'utf8'), { merge: true }) as Mapping;
    const filled = fill(document, env) as Mapping;
    for (const [name, raw] of Object.entries((filled['services'] ?? {}) as Record<string, Mapping>))
      model.services[name] = mergeService(model.services[name], normalize(raw));
    Object.assign(model.networks, filled['networks'] ?? {});
    Object.assign(model.volumes, filled['volumes'] ?? {});
  }
  return model;
}

/** A service's networks, as its `networks:` names them (none named: `default`). */
export const networksOf = (service: ComposeService): string[] =>
  Object.keys(service.networks).length === 0 ? ['default'] : Object.keys(service.networks);

/** The command as one string (a list joined with spaces). */
export const commandText = (service: ComposeService): string =>
  Array.isArray(service.command) ? service.command.join(' ') : (service.command ?? '');

function fill(value: unknown, env: Record<string, string | undefined>): unknown {
  if (typeof value === 'string') return interpolate(value, env);
  if (Array.isArray(value)) return value.map((item) => fill(item, env));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, fill(item, env)]));
  return value;
}

/** Lists Compose also takes as mappings (environment `A=b`, depends_on and networks by name) made mappings; values as strings. */
function normalize(raw: Mapping): Partial<ComposeService> {
  const service: Mapping = { ...raw };
  const environment = raw['environment'];
  if (Array.isArray(environment)) {
    service['environment'] = Object.fromEntries(
      (environment as string[]).map((item) => [item.split('=')[0], item.includes('=') ? item.slice(item.indexOf('=') + 1) : '']),
    );
  } else if (environment) {
    service['environment'] = Object.fromEntries(Object.entries(environment as Mapping).map(([key, value]) => [key, String(value ?? '')]));
  }
  for (const key of ['depends_on', 'networks']) {
    const value = raw[key];
    if (Array.isArray(value)) service[key] = Object.fromEntries((value as string[]).map((name) => [name, {}]));
  }
  return service as Partial<ComposeService>;
}

const MERGED_BY_NAME = ['environment', 'depends_on', 'networks'];
const ADDED = ['ports', 'volumes', 'secrets'];

function mergeService(base: ComposeService | undefined, override: Partial<ComposeService>): ComposeService {
  const merged: Mapping = { environment: {}, depends_on: {}, networks: {}, ports: [], volumes: [], secrets: [], ...base };
  for (const [key, value] of Object.entries(override)) {
    if (MERGED_BY_NAME.includes(key)) merged[key] = { ...(merged[key] as Mapping), ...(value as Mapping) };
    else if (ADDED.includes(key)) merged[key] = [...new Set([...(merged[key] as unknown[]), ...(value as unknown[])])];
    else merged[key] = value;
  }
  return merged as unknown as ComposeService;
}

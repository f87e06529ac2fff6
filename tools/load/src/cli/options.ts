import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseDuration } from '../engine/duration';
import { describeThinkTime, parseThinkTime, THINK_TIME_SYNTAX, type ThinkTime } from '../engine/think-time';
import { Target } from '../engine/target';
import { DEFAULT_MIX, parseMix, SCENARIOS, type MixEntry } from '../scenarios';
import type { UploadEncoding } from '../scenarios/test-video';

export const LAB_SHOP_URL = 'http://127.0.0.1:28080';
export const RESULTS_DIR = path.resolve(__dirname, '..', '..', 'results');
export const SCENARIO_NAMES = ['browse', 'buy', 'upload', 'mixed'] as const;
export type ScenarioChoice = (typeof SCENARIO_NAMES)[number];

/** Users per client address when --client-ips is not given (a household, an office behind NAT). */
const USERS_PER_CLIENT_IP = 10;
const MAX_AUTO_CLIENT_IPS = 1_000;
export const MAX_VUS = 50_000;

export interface LoadOptions {
  scenario: ScenarioChoice;
  mix: MixEntry[];
  vus: number;
  rampMs: number;
  holdMs: number;
  think: ThinkTime;
  uploadThink: ThinkTime;
  url: string;
  startShop: boolean;
  apiInstances: number;
  shopEnv: Record<string, string>;
  clientIps: number;
  connectionsPerIp: number;
  timeoutMs: number;
  zipfExponent: number;
  seed: number;
  outDir: string;
  name: string | null;
  monitor: boolean;
  progressIntervalMs: number;
  note: string | null;
  targetP99Ms: number;
  memoryTargetBytes: number;
  failOnTarget: boolean;
  uploadEncoding: UploadEncoding;
  maxProducts: number;
}

export const USAGE = `usage: npm run load -- <scenario> [options]
       npm run load -- report [FILE.json ...]   rebuild the HTML pages (and index.html) from the JSON

scenarios:
${Object.values(SCENARIOS)
  .map((scenario) => `  ${scenario.name.padEnd(8)} ${scenario.summary}`)
  .join('\n')}
  mixed    a weighted mix of the three (--mix, default ${Object.entries(DEFAULT_MIX)
    .map(([name, weight]) => `${name}=${weight}`)
    .join(',')})

load:
  --vus N                 virtual users at full load (default 1000, at most ${MAX_VUS.toLocaleString('en-US')})
  --ramp DURATION         time to bring them all in, evenly (default 30s)
  --duration DURATION     time at full load after the ramp-up: the "hold" (default 60s)
  --think SPEC            pause between two pages: ${THINK_TIME_SYNTAX}
                          (default uniform:5s-15s)
  --upload-think SPEC     pause between two uploads of one uploader (default uniform:30s-90s)
  --mix LIST              for mixed: browse=90,buy=8,upload=2
  --zipf S                product popularity exponent (default 1; 0 = all equally popular)
  --seed N                random seed: the same seed, the same choices (default 1)
  --max-products N        products read from the shop before the run (default 20000)

target:
  --url URL               the shop's front door (default ${LAB_SHOP_URL}, the lab shop)
  --start-shop            build, start the lab shop on :28080 for the run, stop it after
  --api-instances N       with --start-shop: api instances (default 2)
  --shop-env KEY=VALUE    with --start-shop: an environment variable for every shop process
                          (repeatable), e.g. --shop-env TENK_SWITCH_CACHE=off
  --client-ips N          spread users over N loopback source addresses, so the balancer's
                          per-client rate limit sees many clients (default: one per ${USERS_PER_CLIENT_IP} users,
                          at most ${MAX_AUTO_CLIENT_IPS}; 1 for a host that is not this machine)
  --connections-per-ip N  keep-alive connections per address (default 2; no pipelining)
  --timeout DURATION      per request, for headers and between body chunks (default 30s)
  --upload-body KIND      multipart (a browser form, field "file") or raw (default multipart)

report:
  --out DIR               where the JSON and HTML go (default tools/load/results)
  --name NAME             file name (default <scenario>-<vus>vu-<date>-<time>)
  --note TEXT             conditions to record with the numbers (e.g. "machine shared")
  --target-p99 DURATION   the p99 target at full load (default 200ms)
  --memory-target MIB     the shop's memory target in MiB (default 1536)
  --fail-on-target        exit 1 when a target is missed
  --no-monitor            do not sample the shop's processes (CPU, memory)
  --progress DURATION     progress line interval when not on a terminal (default 5s)
`;

/** Reads the command line; throws an Error naming the bad option. `null` means --help. */
export function parseOptions(argv: readonly string[]): LoadOptions | null {
  const args = parseArgv(argv);
  if (args === null) return null;
  const { values, flags, positional } = args;
  for (const name of values.keys())
    if (name !== 'shop-env' && (values.get(name)?.length ?? 0) > 1) throw new Error(`--${name} is given more than once`);

  const one = (name: string): string | undefined => values.get(name)?.[0];
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const text = one(name);
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max)
      throw new Error(`--${name} must be a whole number from ${min} to ${max.toLocaleString('en-US')}, got "${text}"`);
    return value;
  };
  const duration = (name: string, fallback: string) => parseDuration(one(name) ?? fallback, `--${name}`);

  if (positional.length === 0) throw new Error(`name a scenario: ${SCENARIO_NAMES.join(', ')}`);
  if (positional.length > 1) throw new Error(`one scenario at a time, got ${positional.join(', ')} (use mixed with --mix for several)`);
  const scenario = positional[0] as ScenarioChoice;
  if (!SCENARIO_NAMES.includes(scenario)) throw new Error(`unknown scenario "${positional[0]}"; use ${SCENARIO_NAMES.join(', ')}`);
  if (one('mix') !== undefined && scenario !== 'mixed') throw new Error('--mix is for the mixed scenario');
  const mix =
    scenario === 'mixed'
      ? parseMix(
          one('mix') ??
            Object.entries(DEFAULT_MIX)
              .map(([name, weight]) => `${name}=${weight}`)
              .join(','),
        )
      : [{ scenario: SCENARIOS[scenario], weight: 1 }];

  const vus = integer('vus', 1_000, 1, MAX_VUS);
  const startShop = flags.has('start-shop');
  if (startShop && one('url') !== undefined) throw new Error('--start-shop runs the lab shop at its own URL: leave out --url');
  if (!startShop && (one('api-instances') !== undefined || values.has('shop-env')))
    throw new Error('--api-instances and --shop-env only apply with --start-shop');
  const url = one('url') ?? LAB_SHOP_URL;
  try {
    new URL(url);
  } catch {
    throw new Error(`--url "${url}" is not a URL; write e.g. http://127.0.0.1:8080`);
  }
  const shopEnv: Record<string, string> = {};
  for (const entry of values.get('shop-env') ?? []) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(entry);
    if (!match) throw new Error(`--shop-env "${entry}" must be KEY=VALUE with an upper-case KEY, e.g. TENK_SWITCH_CACHE=off`);
    shopEnv[match[1]] = match[2];
  }
  const autoIps = Target.spreadsFor(url) ? Math.min(MAX_AUTO_CLIENT_IPS, Math.ceil(vus / USERS_PER_CLIENT_IP)) : 1;
  const zipfText = one('zipf');
  const zipfExponent = zipfText === undefined ? 1 : Number(zipfText);
  if (!Number.isFinite(zipfExponent) || zipfExponent < 0 || zipfExponent > 5)
    throw new Error(`--zipf must be a number from 0 to 5, got "${zipfText}"`);
  const uploadEncoding = (one('upload-body') ?? 'multipart') as UploadEncoding;
  if (uploadEncoding !== 'multipart' && uploadEncoding !== 'raw')
    throw new Error(`--upload-body must be multipart or raw, got "${uploadEncoding}"`);
  const name = one('name') ?? null;
  if (name !== null && !/^[A-Za-z0-9._-]+$/.test(name))
    throw new Error(`--name "${name}" may hold letters, digits, ".", "_" and "-" only (it becomes a file name)`);

  return {
    scenario,
    mix,
    vus,
    rampMs: duration('ramp', '30s'),
    holdMs: duration('duration', '60s'),
    think: parseThinkTime(one('think') ?? 'uniform:5s-15s'),
    uploadThink: parseThinkTime(one('upload-think') ?? 'uniform:30s-90s'),
    url,
    startShop,
    apiInstances: integer('api-instances', 2, 1, 16),
    shopEnv,
    clientIps: integer('client-ips', autoIps, 1, 10_000),
    connectionsPerIp: integer('connections-per-ip', 2, 1, 64),
    timeoutMs: duration('timeout', '30s'),
    zipfExponent,
    seed: integer('seed', 1, 0, 2 ** 31 - 1),
    outDir: path.resolve(one('out') ?? RESULTS_DIR),
    name,
    monitor: !flags.has('no-monitor'),
    progressIntervalMs: duration('progress', '5s'),
    note: one('note') ?? null,
    targetP99Ms: duration('target-p99', '200ms'),
    memoryTargetBytes: integer('memory-target', 1_536, 1, 1_048_576) * 2 ** 20,
    failOnTarget: flags.has('fail-on-target'),
    uploadEncoding,
    maxProducts: integer('max-products', 20_000, 1, 1_000_000),
  };
}

/** One line describing the settings, for logs. */
export function describeOptions(options: LoadOptions): string {
  return `${options.scenario} with ${options.vus.toLocaleString('en-US')} users: ramp ${options.rampMs / 1_000} s, hold ${options.holdMs / 1_000} s, think ${describeThinkTime(options.think)}`;
}

const FLAGS = ['start-shop', 'no-monitor', 'fail-on-target', 'help'] as const;
const VALUED = [
  'vus',
  'ramp',
  'duration',
  'think',
  'upload-think',
  'mix',
  'zipf',
  'seed',
  'url',
  'api-instances',
  'shop-env',
  'client-ips',
  'connections-per-ip',
  'timeout',
  'upload-body',
  'out',
  'name',
  'note',
  'target-p99',
  'memory-target',
  'progress',
  'max-products',
] as const;

/**
 * The command line through node:util's parseArgs (strict; `--vus 10` and `--vus=10` alike),
 * with its errors said the way this tool says them. Null asks for the help text.
 */
function parseArgv(argv: readonly string[]): { values: Map<string, string[]>; flags: Set<string>; positional: string[] } | null {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const name of FLAGS) options[name] ??= { type: 'boolean' };
  for (const name of VALUED) options[name] = { type: 'string', multiple: true };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const option = /'(-{1,2}[^' ]+)/.exec(message)?.[1] ?? '';
    const code = (error as { code?: string }).code;
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new Error(`unknown option ${option}; see npm run load -- --help`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && /does not take an argument/.test(message))
      throw new Error(`${option} takes no value`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new Error(`${option} needs a value`);
    throw new Error(message);
  }
  const values = new Map<string, string[]>();
  const flags = new Set<string>();
  for (const [name, value] of Object.entries(parsed.values)) {
    if (value === true) flags.add(name);
    else if (Array.isArray(value)) values.set(name, value.map(String));
  }
  if (flags.has('help')) return null;
  return { values, flags, positional: parsed.positionals };
}

import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, type TenkConfig } from '@tenk/config';
import { checkTokenFormat, CONTROL_TOKEN_VARIABLE, controlTokenFile, createControlToken, writeControlTokenFile } from '@tenk/control-plane';
import { ShopProcess, type ProcessSpec } from './shop-process';

export type Component = 'payment-sim' | 'api' | 'media-worker' | 'mailer' | 'reports' | 'balancer' | 'map';

export const ALL_COMPONENTS: readonly Component[] = ['payment-sim', 'api', 'media-worker', 'mailer', 'reports', 'balancer', 'map'];

export interface ShopOptions {
  /** Environment for every process (port overrides for a second shop, feature switches). */
  env?: Record<string, string>;
  /** How many api instances; default TENK_API_INSTANCES (2). */
  apiInstances?: number;
  components?: readonly Component[];
  /** Restart a process that crashes (npm start: yes; fault drills decide for themselves). */
  restartOnCrash?: boolean;
  log?: (line: string) => void;
  /**
   * Names the shop's log folder under .tenk/logs (`e2e`, `lab`) and its control token file
   * (.tenk/control-token-<name>); unnamed: .tenk/logs itself and .tenk/control-token.
   */
  name?: string;
  /**
   * Where each process runs (tools/hosts): a process placed on a host runs inside that host's
   * network namespace, listens on all of its addresses and is reached at the host's address;
   * the others (the balancer, the map) stay on this machine's loopback.
   */
  placement?: (process: string) => Placement | undefined;
  /** Extra Node flags for the api instances (the lab's `--cpu-prof`, which NODE_OPTIONS refuses). */
  apiNodeArgs?: readonly string[];
}

/** A host of tools/hosts: its network namespace and its address on the bridge. */
export interface Placement {
  netns: string;
  address: string;
}

/** The processes that serve a control port (the launcher's own is in this process). */
const CONTROL_SERVERS = new Set(['payment-sim', 'balancer', 'map']);

export interface ShopUrls {
  shop: string;
  docs: string;
  health: string;
  balancerAdmin: string;
  mail: string;
  apis: string[];
  map: string;
  /** tools/infra's Jaeger UI (the HTTP query API is under /api on the same port). */
  traces: string;
}

const ROOT = path.resolve(__dirname, '../../..');

/**
 * The running shop: payment-sim, N api instances, the workers and the balancer, as child
 * processes of this one, each logging to .tenk/logs/<name>.log. What `npm start` runs, and
 * what the e2e suites and the lab start (on other ports) to test and measure it.
 */
export class Shop {
  readonly config: TenkConfig;
  readonly processes = new Map<string, ShopProcess>();
  /**
   * This run's secret for every state-changing call on its control ports (the launcher's,
   * the map's, the balancer's admin, payment-sim's admin): new at every start unless
   * TENK_CONTROL_TOKEN sets it, handed to those processes in TENK_CONTROL_TOKEN.
   */
  readonly controlToken: string;
  /** Where the token is kept for the tools and drills that call those ports (mode 0600). */
  readonly controlTokenFile: string;
  readonly #log: (line: string) => void;

  private constructor(config: TenkConfig, log: (line: string) => void, controlToken: string, tokenFile: string) {
    this.config = config;
    this.#log = log;
    this.controlToken = controlToken;
    this.controlTokenFile = tokenFile;
  }

  /** Starts the components (from dist/: run the build first) and waits until all are ready. */
  static async start(options: ShopOptions = {}): Promise<Shop> {
    const env = { ...(options.env ?? {}) };
    await traceToLocalJaeger(env);
    const config = loadConfig({ ...process.env, ...env });
    const given = ({ ...process.env, ...env } as Record<string, string | undefined>)[CONTROL_TOKEN_VARIABLE]?.trim();
    const controlToken = given ? checkTokenFormat(given, CONTROL_TOKEN_VARIABLE) : createControlToken();
    const tokenFile = controlTokenFile(config.paths.state, options.name);
    writeControlTokenFile(tokenFile, controlToken);
    const shop = new Shop(config, options.log ?? (() => undefined), controlToken, tokenFile);
    const instances = options.apiInstances ?? config.services.apiInstances;
    const components = options.components ?? ALL_COMPONENTS;
    const specs = shop
      .#specs(env, instances, options.name, options.placement, options.apiNodeArgs ?? [])
      .filter((spec) => components.includes(componentOf(spec.name)))
      .map((spec) => (CONTROL_SERVERS.has(spec.name) ? { ...spec, env: { ...spec.env, [CONTROL_TOKEN_VARIABLE]: controlToken } } : spec));
    try {
      // In dependency order: payment-sim before the apis, the apis before the balancer.
      for (const group of [['payment-sim'], ['api', 'media-worker', 'mailer', 'reports'], ['balancer', 'map']]) {
        const batch = specs.filter((spec) => group.includes(componentOf(spec.name)));
        for (const spec of batch) {
          const process = new ShopProcess(spec, (line) => shop.#log(line), options.restartOnCrash ?? false);
          shop.processes.set(spec.name, process);
          process.start();
        }
        await Promise.all(
          batch.map(async (spec) => {
            const started = Date.now();
            await shop.process(spec.name).waitReady();
            shop.#log(`${spec.name.padEnd(13)} ready in ${((Date.now() - started) / 1000).toFixed(1)} s  ${baseUrl(spec)}`);
          }),
        );
      }
    } catch (error) {
      await shop.stop();
      throw error;
    }
    return shop;
  }

  /** Whether the shop's processes send traces (TENK_OTLP_ENDPOINT set, or Jaeger found running). */
  get tracing(): boolean {
    return this.config.tracing.endpoint !== undefined;
  }

  get urls(): ShopUrls {
    const { services, mail } = this.config;
    const shop = `http://127.0.0.1:${services.balancerPort}`;
    return {
      shop,
      // Operators' pages live on an api instance's own port, never through the balancer.
      docs: `http://127.0.0.1:${services.apiPort}/docs`,
      health: `${shop}/health/ready`,
      balancerAdmin: `http://127.0.0.1:${services.balancerAdminPort}/status`,
      mail: `http://127.0.0.1:${mail.sinkHttpPort}/messages`,
      map: `http://127.0.0.1:${services.mapPort}/`,
      // The map's trace pages (Jaeger's own UI is a placeholder in the Go build): slow and failed requests, each trace drawn.
      traces: `http://127.0.0.1:${services.mapPort}/traces`,
      apis: [...this.processes.values()].filter((p) => p.spec.name.startsWith('api-')).map((p) => baseUrl(p.spec)),
    };
  }

  /** Each process: name, pid, state, restarts, and the URL it answers on. */
  describe(): Array<{ name: string; pid: number | undefined; state: string; restarts: number; url: string }> {
    return [...this.processes.values()].map((p) => ({
      name: p.spec.name,
      pid: p.pid,
      state: p.state,
      restarts: p.restarts,
      url: baseUrl(p.spec),
    }));
  }

  process(name: string): ShopProcess {
    const process = this.processes.get(name);
    if (!process) throw new Error(`no process ${name}; running: ${[...this.processes.keys()].join(', ')}`);
    return process;
  }

  /** Stops everything, the balancer first so no request reaches a stopping api. */
  async stop(): Promise<void> {
    const order = [...this.processes.values()].sort((a, b) => rank(b.spec.name) - rank(a.spec.name));
    for (const process of order) await process.stop(this.config.runtime.shutdownGraceMs + 2_000);
    for (const process of order) process.closeLog();
  }

  #specs(
    env: Record<string, string>,
    instances: number,
    name: string | undefined,
    placement: ShopOptions['placement'],
    apiNodeArgs: readonly string[],
  ): ProcessSpec[] {
    const { services, paths } = this.config;
    const logs = name ? path.join(paths.logs, name) : paths.logs;
    mkdirSync(logs, { recursive: true });
    // A bounded old generation per process: Node otherwise lets garbage grow towards a limit
    // sized for the whole machine, and the shop has a memory budget (1.5 GB for everything).
    const node = (script: string, heapMiB = script.includes('apps/api/') ? 192 : 128) => ({
      command: process.execPath,
      args: [
        '--enable-source-maps',
        `--max-old-space-size=${heapMiB}`,
        ...(script.includes('apps/api/') ? apiNodeArgs : []),
        path.join(ROOT, script),
      ],
    });
    const logFile = (process: string) => path.join(logs, `${process}.log`);
    const apiPorts = Array.from({ length: instances }, (_, i) => services.apiPort + i);
    const apiServers = apiPorts.map((port, i) => `${placement?.(`api-${i + 1}`)?.address ?? '127.0.0.1'}:${port}`);
    const specs: ProcessSpec[] = [
      {
        name: 'payment-sim',
        ...node('dist/tools/payment-sim/src/main.js'),
        env,
        readyUrl: `http://127.0.0.1:${services.paymentSimAdminPort}/health`,
        logFile: logFile('payment-sim'),
      },
      ...apiPorts.map((port, i) => ({
        name: `api-${i + 1}`,
        ...node('dist/apps/api/src/main.js'),
        env: { ...env, TENK_API_PORT: String(port) },
        readyUrl: `http://127.0.0.1:${port}/health/ready`,
        logFile: logFile(`api-${i + 1}`),
      })),
      {
        name: 'media-worker',
        ...node('dist/apps/media-worker/src/main.js'),
        env,
        readyUrl: `http://127.0.0.1:${services.mediaWorkerPort}/health/ready`,
        logFile: logFile('media-worker'),
      },
      {
        name: 'mailer',
        ...node('dist/apps/mailer/src/main.js'),
        env,
        readyUrl: `http://127.0.0.1:${services.mailerPort}/health/ready`,
        logFile: logFile('mailer'),
      },
      {
        name: 'reports',
        ...node('dist/apps/reports/src/main.js'),
        env,
        readyUrl: `http://127.0.0.1:${services.reportsPort}/health/ready`,
        logFile: logFile('reports'),
      },
      {
        name: 'balancer',
        ...node('dist/apps/balancer/src/main.js'),
        // -p: relative `root` paths in tenk.conf (the storefront's dist/apps/storefront) resolve
        // against the workspace, wherever the launcher was started from.
        args: [
          ...node('dist/apps/balancer/src/main.js').args,
          '-c',
          this.#balancerConfig(apiServers, name, placement !== undefined),
          '-p',
          ROOT,
        ],
        env,
        readyUrl: `http://127.0.0.1:${services.balancerPort}/health/ready`,
        answersItself: false,
        logFile: logFile('balancer'),
      },
      {
        name: 'map',
        ...node('dist/apps/map/src/main.js'),
        env,
        readyUrl: `http://127.0.0.1:${services.mapPort}/health/live`,
        logFile: logFile('map'),
      },
    ];
    return placement ? specs.map((spec) => placed(spec, placement(spec.name))) : specs;
  }

  /**
   * The shipped balancer config, copied beside a generated `api-servers.conf` that lists this
   * shop's api instances (tenk.conf includes it, relative to its own folder).
   */
  #balancerConfig(apiServers: string[], name?: string, loopbackOnly = false): string {
    // Each shop its own folder: the e2e or lab shop must not rewrite npm start's server list.
    const dir = path.join(this.config.paths.run, name ? `balancer-${name}` : 'balancer');
    mkdirSync(dir, { recursive: true });
    const shipped = path.join(ROOT, 'apps/balancer/conf');
    for (const file of readdirSync(shipped).filter((name) => name.endsWith('.conf') && name !== 'api-servers.conf'))
      copyFileSync(path.join(shipped, file), path.join(dir, file));
    // On many hosts the machine has an address on the hosts' bridge too: the front door stays on its loopback.
    if (loopbackOnly) {
      const main = path.join(dir, 'tenk.conf');
      writeFileSync(main, listenOnLoopback(readFileSync(main, 'utf8')));
    }
    // The same server parameters (max_fails, fail_timeout, max_conns) as the shipped list's.
    const parameters = /^server\s+\S+((?:\s+[^\s;]+)*)\s*;/m.exec(readFileSync(path.join(shipped, 'api-servers.conf'), 'utf8'))?.[1] ?? '';
    writeFileSync(
      path.join(dir, 'api-servers.conf'),
      `# Written by tools/shop for ${apiServers.length} api instance(s).\n${apiServers.map((server) => `server ${server}${parameters};`).join('\n')}\n`,
    );
    return path.join(dir, 'tenk.conf');
  }
}

/**
 * A balancer config whose `listen PORT ...;` lines (port only, any parameters such as
 * `backlog=N` kept) listen on 127.0.0.1 only: the many-hosts shop's front door stays off the
 * hosts' bridge.
 */
export function listenOnLoopback(conf: string): string {
  return conf.replace(
    /^(\s*listen\s+)(\d+)((?:\s+[^\s;]+)*\s*;)/gm,
    (_, head: string, port: string, tail: string) => `${head}127.0.0.1:${port}${tail}`,
  );
}

/** A process spec run on a host: inside its namespace, on all its addresses, checked at its address. */
function placed(spec: ProcessSpec, at: Placement | undefined): ProcessSpec {
  if (!at) return spec;
  return {
    ...spec,
    command: 'ip',
    args: ['netns', 'exec', at.netns, spec.command, ...spec.args],
    env: { ...spec.env, TENK_BIND_HOST: '0.0.0.0' },
    readyUrl: spec.readyUrl.replace('//127.0.0.1:', `//${at.address}:`),
  };
}

function componentOf(name: string): Component {
  return (name.startsWith('api-') ? 'api' : name) as Component;
}

function rank(name: string): number {
  return ALL_COMPONENTS.indexOf(componentOf(name));
}

/** Where a process answers: its readiness URL without the /health path. */
function baseUrl(spec: ProcessSpec): string {
  return spec.readyUrl.replace(/\/health.*$/, '');
}

/**
 * Sends the shop's traces to tools/infra's Jaeger when it runs and nothing chose otherwise
 * (TENK_OTLP_ENDPOINT set, or `off`, wins): npm start and the e2e shop get traces with no
 * setting, and a shop started without Jaeger runs with tracing off.
 */
async function traceToLocalJaeger(env: Record<string, string>): Promise<void> {
  const merged = { ...process.env, ...env } as Record<string, string | undefined>;
  if (merged.TENK_OTLP_ENDPOINT) return;
  const { jaeger } = loadConfig(merged).tracing;
  const answers = await fetch(`http://127.0.0.1:${jaeger.uiPort}/api/services`, { signal: AbortSignal.timeout(1_000) }).then(
    (response) => response.ok,
    () => false,
  );
  if (answers) env.TENK_OTLP_ENDPOINT = `http://127.0.0.1:${jaeger.otlpPort}`;
}

import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { PORT_VARIABLES, type TenkConfig } from '@tenk/config';
import { serviceDirs } from '../layout';
import { ensurePortFree } from '../ports';
import type { InfraService, ServiceStatus } from '../service';
import { commandExists, run, waitFor } from '../shell';
import { livePid, stopPid } from './pidfile';

/** The Jaeger release tools/infra builds (the Go module's version; `cmd/jaeger` is Jaeger v2). */
export const JAEGER_VERSION = 'v1.75.0';
export const JAEGER_MODULE = 'github.com/jaegertracing/jaeger';
/** Packages `go build -v` names while building cmd/jaeger from nothing (for the progress line). */
const PACKAGES_TO_BUILD = 2_300;
const MACHINE_GO = '/usr/local/go/bin/go';

function files(config: TenkConfig) {
  const dirs = serviceDirs(config, 'jaeger');
  const cache = config.paths.cache;
  return {
    ...dirs,
    binary: path.join(cache, `jaeger-${JAEGER_VERSION}`, 'bin', 'jaeger'),
    /** Everything Go writes (modules, build cache, its config) stays under .tenk/cache/go. */
    go: path.join(cache, 'go'),
    pid: path.join(dirs.run, 'jaeger.pid'),
    yaml: path.join(dirs.run, 'config.yaml'),
  };
}

/** The machine's Go: on PATH, or where its tarball installs it. */
export function findGo(): string | undefined {
  if (commandExists('go')) return 'go';
  return existsSync(MACHINE_GO) ? MACHINE_GO : undefined;
}

/** Go's environment for the build: nothing written outside the project's cache folder. */
export function goEnv(goRoot: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GOPATH: goRoot,
    GOMODCACHE: path.join(goRoot, 'pkg', 'mod'),
    GOCACHE: path.join(goRoot, 'build-cache'),
    // Go keeps its telemetry counters and `go env -w` settings under the user's config folder.
    XDG_CONFIG_HOME: path.join(goRoot, 'config'),
    GOTELEMETRY: 'off',
    GOTOOLCHAIN: 'local',
    GOFLAGS: '-trimpath -buildvcs=false',
    CGO_ENABLED: '0',
  };
}

/**
 * Jaeger's configuration (an OpenTelemetry Collector file): OTLP/HTTP in, spans kept in memory,
 * the UI and query API out. Every listener named with 127.0.0.1: Jaeger's defaults listen on
 * every interface, and those it has but tenk does not use (gRPC OTLP, Jaeger and Zipkin
 * receivers, remote sampling, zpages, expvar, health check, its own metrics) are left out.
 */
export function jaegerConfig(config: TenkConfig): string {
  const { uiPort, grpcPort, otlpPort } = config.tracing.jaeger;
  return `# Written by tools/infra on every start.
service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    resource:
      service.name: jaeger
    metrics:
      level: none
    logs:
      level: warn

extensions:
  jaeger_query:
    storage:
      traces: memstore
    http:
      endpoint: 127.0.0.1:${uiPort}
    grpc:
      endpoint: 127.0.0.1:${grpcPort}
  jaeger_storage:
    backends:
      memstore:
        memory:
          # Bounded: the whole shop has a memory budget; old traces go first.
          max_traces: 20000

receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${otlpPort}

processors:
  batch:

exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`;
}

/** Builds cmd/jaeger from its Go module into .tenk/cache (first run only: minutes). */
async function ensureBinary(config: TenkConfig, log: (line: string) => void): Promise<string> {
  const f = files(config);
  if (existsSync(f.binary)) return f.binary;
  const go = findGo();
  if (!go)
    throw new JaegerUnavailable(
      `Go is not installed (no \`go\` on PATH nor ${MACHINE_GO}): Jaeger is built from its Go module. Install Go 1.24 or newer, then \`npm run infra -- up jaeger\`.`,
    );
  const env = goEnv(f.go);
  log(`building Jaeger ${JAEGER_VERSION} from ${JAEGER_MODULE} with ${go} (first run only: about 5-10 minutes on two cores)`);
  const download = await run(go, ['mod', 'download', '-json', `${JAEGER_MODULE}@${JAEGER_VERSION}`], { env, cwd: config.paths.cache });
  if (download.code !== 0)
    throw new JaegerUnavailable(
      `go mod download ${JAEGER_MODULE}@${JAEGER_VERSION} failed:\n${lastLines(download.stderr || download.stdout)}`,
    );
  const moduleDir = (JSON.parse(download.stdout) as { Dir?: string }).Dir;
  if (!moduleDir) throw new JaegerUnavailable(`go mod download did not say where ${JAEGER_MODULE} is`);
  // `go install module@version` refuses a module whose go.mod has replace directives (Jaeger's
  // has): build inside the downloaded module instead, where they apply.
  const partial = `${f.binary}.partial`;
  mkdirSync(path.dirname(f.binary), { recursive: true });
  const started = Date.now();
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(go, ['build', '-v', '-o', partial, './cmd/jaeger'], { cwd: moduleDir, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let built = 0;
    let tail: string[] = [];
    const progress = setInterval(() => {
      const seconds = Math.round((Date.now() - started) / 1000);
      log(`building Jaeger: ${built} packages (of about ${PACKAGES_TO_BUILD}), ${seconds} s`);
    }, 15_000);
    let pending = '';
    child.stderr.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (!line.startsWith('go: ')) built += 1;
      tail = [...tail, ...lines].slice(-20);
    });
    child.on('error', (error) => {
      clearInterval(progress);
      reject(error);
    });
    child.on('close', (exit) => {
      clearInterval(progress);
      if (exit !== 0) log(tail.join('\n'));
      resolve(exit ?? 1);
    });
  });
  if (code !== 0) {
    rmSync(partial, { force: true });
    throw new JaegerUnavailable(`building Jaeger failed (go build exited with ${code}); the lines above say why`);
  }
  renameSync(partial, f.binary);
  log(`built ${f.binary} in ${Math.round((Date.now() - started) / 1000)} s (cached: later starts skip this)`);
  return f.binary;
}

/** Jaeger could not be built: the shop runs without traces, and `up` says why. */
export class JaegerUnavailable extends Error {
  readonly optional = true;
  constructor(message: string) {
    super(message);
    this.name = 'JaegerUnavailable';
  }
}

/** The last error Jaeger logged (its log is one line per event). */
function lastError(log: string): string {
  const lines = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [];
  return (
    [...lines]
      .reverse()
      .find((line) => /^Error: /.test(line))
      ?.slice(7) ?? 'no error logged'
  );
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-10).join('\n');
}

/** The query API answers (it lists the services that sent spans). */
async function services(config: TenkConfig): Promise<string[]> {
  const response = await fetch(`http://127.0.0.1:${config.tracing.jaeger.uiPort}/api/services`, { signal: AbortSignal.timeout(2_000) });
  if (!response.ok) throw new Error(`HTTP ${response.status} from the query API`);
  return ((await response.json()) as { data: string[] | null }).data ?? [];
}

/**
 * Jaeger (v2, all in one: OTLP receiver, in-memory store, UI and query API), built once from
 * its Go module with the machine's Go. Optional: when Go is missing or the build fails, `up`
 * says so and the rest of the stack (and the shop, with tracing off) starts anyway.
 */
export const jaeger: InfraService = {
  name: 'jaeger',
  after: [],
  optional: true,
  port: (config) => config.tracing.jaeger.uiPort,
  extraPorts: (config) => [config.tracing.jaeger.otlpPort, config.tracing.jaeger.grpcPort],
  packages: () => [],
  dataDirs: () => [],

  async status(config): Promise<ServiceStatus> {
    const pid = livePid(files(config).pid);
    if (!pid)
      return {
        running: false,
        healthy: false,
        detail: existsSync(files(config).binary) ? undefined : `not built yet (npm run infra -- up jaeger)`,
      };
    try {
      const names = await services(config);
      return {
        running: true,
        healthy: true,
        pid,
        detail: `UI http://127.0.0.1:${config.tracing.jaeger.uiPort}/, OTLP :${config.tracing.jaeger.otlpPort}, ${names.length} service${names.length === 1 ? '' : 's'} traced`,
      };
    } catch (error) {
      return { running: true, healthy: false, pid, detail: (error as Error).message };
    }
  },

  async start(config, log) {
    const f = files(config);
    if (!livePid(f.pid)) {
      const { uiPort, grpcPort, otlpPort } = config.tracing.jaeger;
      const binary = await ensureBinary(config, log);
      // After the build (minutes): a port free before it may not be any more.
      await ensurePortFree('jaeger', uiPort, PORT_VARIABLES.jaegerUi);
      await ensurePortFree('jaeger', grpcPort, PORT_VARIABLES.jaegerGrpc);
      await ensurePortFree('jaeger', otlpPort, PORT_VARIABLES.jaegerOtlp);
      writeFileSync(f.yaml, jaegerConfig(config));
      log(`starting on 127.0.0.1:${uiPort} (UI, query API), OTLP/HTTP :${otlpPort}`);
      const out = openSync(f.log, 'a');
      // A soft memory limit: Go's collector works harder instead of growing past it.
      const child = spawn(binary, ['--config', f.yaml], {
        detached: true,
        stdio: ['ignore', out, out],
        env: { ...process.env, GOMEMLIMIT: '200MiB' },
      });
      closeSync(out);
      child.unref();
      writeFileSync(f.pid, String(child.pid));
    }
    let exited = false;
    const ready = await waitFor(
      async () => {
        const state = await this.status(config);
        exited = !state.running;
        return state.healthy || exited;
      },
      30_000,
      300,
    );
    if (exited) throw new Error(`jaeger exited at start: ${lastError(f.log)}; see ${f.log}`);
    if (!ready) throw new Error(`jaeger did not start within 30 s; see ${f.log}`);
  },

  async stop(config) {
    await stopPid(files(config).pid);
  },
};

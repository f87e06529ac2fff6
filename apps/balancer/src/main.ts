/**
 * tenk's balancer: an nginx-style HTTP load balancer (nginx's configuration language, its
 * balancing algorithms, health checks, retries, rate limits), with an admin listener for
 * status and metrics. See apps/balancer/README.md.
 *   npm run balancer -- -c apps/balancer/conf/tenk.conf
 *   node dist/apps/balancer/src/main.js -t -c FILE
 */
import cluster from 'node:cluster';
import { writeFileSync, rmSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { EnvReader, readPaths, readTracing } from '@tenk/config';
import { startTracing, stopTracing } from '@tenk/observability/tracing';
import { controlTokenHint, resolveControlToken, type ResolvedControlToken } from '@tenk/control-plane';
import { Balancer } from './balancer';
import { parseCli, USAGE } from './cli';
import { Primary } from './cluster/primary';
import { sendToPrimary, serveWorker } from './cluster/worker-agent';
import { WorkerZoneBook } from './cluster/zone-sync';
import { loadConfig, type LoadOptions } from './config/load-config';
import type { BalancerConfig } from './config/schema';
import { LogSink } from './observability/log-sink';
import { Logger } from './observability/logger';

// A larger young generation: a proxy allocates many short-lived objects per request, and
// fewer scavenges mean fewer pauses in the tail (measured in tools/lab `balancer`).
setFlagsFromString('--max-semi-space-size=32');

const VERSION = 'tenk-balancer 1.0.0';

async function main(): Promise<void> {
  const cli = parseCli(process.argv.slice(2));
  if (cli.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (cli.version) {
    process.stdout.write(`${VERSION} (node ${process.version})\n`);
    return;
  }
  const loadOptions = { includeDirs: cli.includeDirs, prefix: cli.prefix };

  if (cli.testOnly) {
    try {
      const config = loadConfig(cli.configFile, loadOptions);
      process.stderr.write(`tenk-balancer: the configuration file ${cli.configFile} syntax is ok\n`);
      process.stderr.write(
        `tenk-balancer: configuration file ${cli.configFile} test is successful (${config.files.length} file${config.files.length === 1 ? '' : 's'}: ${config.files.join(', ')})\n`,
      );
      if (cli.dump) process.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
    } catch (error) {
      process.stderr.write(`tenk-balancer: [emerg] ${(error as Error).message}\n`);
      process.stderr.write(`tenk-balancer: configuration file ${cli.configFile} test failed\n`);
      process.exitCode = 1;
    }
    return;
  }

  const bootLogger = new Logger(new LogSink({ kind: 'stdout' }));
  let config;
  try {
    config = loadConfig(cli.configFile, loadOptions);
  } catch (error) {
    bootLogger.error('cannot start: configuration error', { error: (error as Error).message });
    process.exitCode = 1;
    return;
  }
  // worker_processes N (N > 1): this process is the primary; the workers run this same file.
  if (cluster.isPrimary && config.workerProcesses > 1) return runPrimary(config, cli.configFile, loadOptions, bootLogger);
  const workerIndex = cluster.isWorker ? Number(process.env.TENK_BALANCER_WORKER ?? 0) : null;
  if (workerIndex !== null) bootLogger.setContext({ worker: workerIndex, pid: process.pid });
  // Traces (TENK_OTLP_ENDPOINT): a span per proxied request; without it, no span work at all.
  try {
    const env = new EnvReader(process.env);
    const tracing = readTracing(env);
    env.throwIfInvalid();
    // Spans are passed by hand on the proxy's path: no AsyncLocalStorage (see asyncContext).
    if (startTracing({ service: 'balancer', config: tracing, asyncContext: false }))
      bootLogger.info('tracing on: a span per proxied request, exported over OTLP', {
        endpoint: tracing.endpoint,
        sampleRatio: tracing.sampleRatio,
      });
  } catch (error) {
    bootLogger.error('cannot start: tracing configuration', { error: (error as Error).message });
    process.exitCode = 1;
    return;
  }
  // A worker has no admin listener (its primary has): it needs no token.
  const control = workerIndex === null ? controlToken(bootLogger) : null;
  if (control === undefined) return;
  // Signal handlers go in before anything listens: a SIGHUP that arrives while the balancer is
  // still starting must not kill it (Node's default action for SIGHUP is to exit).
  const running: { balancer?: Balancer } = {};
  let reloadPending = false;
  let stopping = false;
  const pidFile = workerIndex === null ? config.pidFile : null;
  const exitAfterDrain = () => {
    if (pidFile) rmSync(pidFile, { force: true });
    // The last spans go out before the process ends (a no-op when tracing is off).
    void stopTracing().finally(() => process.exit(0));
  };
  process.on('SIGHUP', () => {
    const { balancer } = running;
    if (!balancer) {
      reloadPending = true;
      return;
    }
    balancer.logger.info('SIGHUP: reloading the configuration', { config: cli.configFile });
    void balancer.reloadFromFile();
  });
  const stop = (signal: NodeJS.Signals) => {
    const { balancer } = running;
    const logger = balancer?.logger ?? bootLogger;
    if (stopping) {
      logger.warn(`${signal} again: exiting without waiting`);
      logger.sink.flush();
      process.exit(1);
    }
    stopping = true;
    logger.info(`${signal}: shutting down gracefully`);
    // Still starting: the stop is applied as soon as the start finishes (below).
    if (balancer) void balancer.drain().then(exitAfterDrain);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGQUIT', stop);

  const book = workerIndex === null ? null : new WorkerZoneBook(workerIndex, sendToPrimary, () => running.balancer?.generation ?? null);
  const balancer = await Balancer.start(config, {
    configFile: cli.configFile,
    loadOptions,
    logger: bootLogger,
    control: control === null ? { token: null } : { token: control.token, tokenHint: controlTokenHint(control) },
    worker: workerIndex === null || book === null ? undefined : { index: workerIndex, book },
  });
  running.balancer = balancer;
  if (book !== null) serveWorker(balancer, book);
  if (control !== null)
    balancer.logger.info('admin API: state changes (algorithm, reload) take the control token', {
      controlToken: control.source,
      created: control.created,
    });
  if (pidFile) writeFileSync(pidFile, `${process.pid}\n`);
  if (stopping) {
    void balancer.drain().then(exitAfterDrain);
  } else if (reloadPending) {
    balancer.logger.info('SIGHUP during start: reloading the configuration', { config: cli.configFile });
    void balancer.reloadFromFile();
  }
}

/**
 * The admin API's token: TENK_CONTROL_TOKEN (npm start sets it), else .tenk/control-token,
 * made (mode 0600) if there is none yet. Undefined (logged, exit code 1) when it cannot be had.
 */
function controlToken(logger: Logger): ResolvedControlToken | undefined {
  try {
    return resolveControlToken({ stateDir: readPaths(new EnvReader(process.env)).state });
  } catch (error) {
    logger.error('cannot start: control token', { error: (error as Error).message });
    process.exitCode = 1;
    return undefined;
  }
}

/**
 * worker_processes N: nginx's master. Signals as in one process: HUP reloads every worker
 * (after the primary has checked the file), TERM/INT/QUIT drain every worker, then exit.
 */
async function runPrimary(config: BalancerConfig, configFile: string, loadOptions: LoadOptions, logger: Logger): Promise<void> {
  const control = controlToken(logger);
  if (control === undefined) return;
  logger.setContext({ role: 'primary', pid: process.pid });
  const running: { primary?: Primary } = {};
  let reloadPending = false;
  let stopSignal: NodeJS.Signals | null = null;
  process.on('SIGHUP', () => {
    if (!running.primary) {
      reloadPending = true;
      return;
    }
    logger.info('SIGHUP: reloading the configuration in every worker', { config: configFile });
    void running.primary.reloadFromFile();
  });
  const stop = (signal: NodeJS.Signals) => {
    if (!running.primary) {
      stopSignal = signal;
      return;
    }
    const again = running.primary.draining;
    void running.primary.stop(signal).then(() => process.exit(again ? 1 : 0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGQUIT', stop);
  const primary = await Primary.start(config, {
    configFile,
    loadOptions,
    logger,
    control: { token: control.token, tokenHint: controlTokenHint(control) },
  });
  running.primary = primary;
  logger.info('admin API: state changes (algorithm, reload) take the control token', {
    controlToken: control.source,
    created: control.created,
  });
  if (stopSignal !== null) stop(stopSignal);
  else if (reloadPending) void primary.reloadFromFile();
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), level: 'error', service: 'balancer', msg: 'cannot start', error: (error as Error).message })}\n`,
  );
  process.exit(1);
});

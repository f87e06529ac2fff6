import type { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { CustomTransportStrategy } from '@nestjs/microservices';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { isConfigError, loadConfig, type TenkConfig } from '@tenk/config';
import { createHttpAdapter } from './http/http-adapter';
import { createLogger } from './logger';
import { startTracing, stopTracing } from './tracing/tracing';

export interface ServiceDefinition {
  /** `api`, `mailer`, ...: the name on every log line and metric. */
  service: string;
  /** Builds the root module from the validated configuration. */
  module(config: TenkConfig): Type<unknown> | import('@nestjs/common').DynamicModule;
  /** The port this process listens on (health, metrics and its own routes). */
  port(config: TenkConfig): number;
  /** Extra setup before listening: Swagger, global pipes, body parsers. */
  configure?(app: NestFastifyApplication, config: TenkConfig): void | Promise<void>;
  /**
   * Transport servers this process also runs (a hybrid app): each is connected with
   * `app.connectMicroservice({ strategy }, { inheritAppConfig: true })` and started once the
   * app is initialised (its handlers may need the database), before the port opens; on
   * shutdown they stop first, so no message is taken while the rest closes.
   */
  microservices?(app: INestApplication, config: TenkConfig): CustomTransportStrategy[];
}

/**
 * The one way a tenk Nest service starts: validate configuration first (a bad variable exits
 * with a message naming it, code 78), serve HTTP on Nest's Fastify adapter (createHttpAdapter:
 * the client's address through TENK_TRUSTED_PROXIES only), log as JSON lines, drain on
 * SIGTERM/SIGINT within the configured grace period, and exit non-zero if anything fails to start.
 */
export async function startService(definition: ServiceDefinition): Promise<NestFastifyApplication> {
  let config: TenkConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (isConfigError(error)) {
      process.stderr.write(`${definition.service}: ${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
  const bootLogger = createLogger({ service: definition.service, level: config.runtime.logLevel });
  if (startTracing({ service: definition.service, config: config.tracing })) {
    bootLogger.info({ endpoint: config.tracing.endpoint, sampleRatio: config.tracing.sampleRatio }, 'tracing on: spans exported over OTLP');
  }
  process.on('unhandledRejection', (reason) => bootLogger.error({ err: reason }, 'unhandled promise rejection'));

  try {
    const app = await NestFactory.create<NestFastifyApplication>(
      definition.module(config),
      createHttpAdapter({ trustedProxies: config.runtime.trustedProxies }),
      { bufferLogs: true },
    );
    app.useLogger(app.get(Logger));
    await definition.configure?.(app, config);
    const servers = definition.microservices?.(app, config) ?? [];
    await startMicroservices(app, servers);
    const port = definition.port(config);
    await app.listen(port, config.services.bindHost);
    bootLogger.info({ port, url: `http://127.0.0.1:${port}` }, `${definition.service} listening`);
    installGracefulExit(app, servers, config.runtime.shutdownGraceMs, bootLogger);
    return app;
  } catch (error) {
    bootLogger.fatal({ err: error }, `${definition.service} failed to start`);
    // Give pino a moment to flush before the process ends.
    setTimeout(() => process.exit(1), 100);
    throw error;
  }
}

/**
 * Connects transport servers to `app` (a hybrid app, the app's pipes, filters and interceptors
 * inherited), initialises the app (its handlers may need the database), then starts them.
 * startService does this; tests that build the app themselves call it too.
 */
export async function startMicroservices(app: INestApplication, servers: CustomTransportStrategy[]): Promise<void> {
  if (servers.length === 0) return;
  for (const strategy of servers) app.connectMicroservice({ strategy }, { inheritAppConfig: true });
  await app.init();
  await app.startAllMicroservices();
}

function installGracefulExit(
  app: INestApplication,
  servers: CustomTransportStrategy[],
  graceMs: number,
  logger: ReturnType<typeof createLogger>,
): void {
  let closing = false;
  const close = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal, graceMs }, 'shutting down: finishing in-flight work');
    const force = setTimeout(() => {
      logger.warn({ graceMs }, 'grace period over, exiting with work unfinished');
      process.exit(1);
    }, graceMs);
    force.unref();
    // Transport servers first (they take no new message), then the app (it closes them again: a no-op).
    Promise.all(servers.map((server) => server.close()))
      .then(() => app.close())
      .then(() => stopTracing()) // sends the last batch of spans
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        logger.error({ err: error }, 'error while shutting down');
        process.exit(1);
      });
  };
  // Nest closes modules (OnModuleDestroy, beforeApplicationShutdown) inside app.close().
  process.once('SIGTERM', () => close('SIGTERM'));
  process.once('SIGINT', () => close('SIGINT'));
}

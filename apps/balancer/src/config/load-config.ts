import { EnvReader, PORT_VARIABLES } from '@tenk/config';
import { buildConfig, checkAdminClash } from './build-config';
import { ConfigError } from './config-error';
import { parseConfigFile } from './parser';
import type { BalancerConfig } from './schema';

export interface LoadOptions {
  /** Folders searched first for relative `include` paths (-I). */
  includeDirs?: readonly string[];
  /** Relative root/alias/log/pid paths resolve against this (-p; default: the working directory). */
  prefix?: string;
  /** Environment for the port overrides (default: process.env). */
  env?: Record<string, string | undefined>;
}

/**
 * Reads, checks and builds a configuration file, then applies the environment's port
 * overrides: TENK_BALANCER_PORT replaces the port of the public listener(s) and
 * TENK_BALANCER_ADMIN_PORT the admin listener's. The environment wins over the file, so
 * the launcher and e2e runs can move the shop's ports without editing tenk.conf.
 */
export function loadConfig(file: string, options: LoadOptions = {}): BalancerConfig {
  const parsed = parseConfigFile(file, { includeDirs: options.includeDirs });
  const config = buildConfig(parsed, { prefix: options.prefix ?? process.cwd(), checkAdmin: false });
  return applyPortOverrides(config, options.env ?? process.env);
}

export function applyPortOverrides(config: BalancerConfig, env: Record<string, string | undefined>): BalancerConfig {
  const reader = new EnvReader(env);
  const publicVariable = PORT_VARIABLES.balancer;
  const adminVariable = PORT_VARIABLES.balancerAdmin;
  const publicRaw = env[publicVariable];
  const adminRaw = env[adminVariable];
  const publicPort = publicRaw ? reader.port(publicVariable, 0) : null;
  const adminPort = adminRaw ? reader.port(adminVariable, 0) : null;
  reader.throwIfInvalid();

  let servers = config.servers;
  if (publicPort !== null) {
    const ports = [...new Set(config.servers.flatMap((server) => server.listens.map((listen) => listen.port)))];
    if (ports.length > 1) {
      const first = config.servers[0];
      throw new ConfigError(
        { file: first.file, line: first.line, directive: 'listen' },
        `${publicVariable}=${publicRaw} is set, but the configuration listens on ${ports.length} ports (${ports.join(', ')}): the override applies to a configuration with one public port only; unset it or edit the listen lines`,
      );
    }
    servers = config.servers.map((server) => ({
      ...server,
      listens: server.listens.map((listen) => ({ ...listen, port: publicPort, text: `${listen.text} (${publicVariable}=${publicPort})` })),
    }));
  }
  let admin = config.admin;
  if (adminPort !== null && admin !== null) admin = { ...admin, port: adminPort, text: `${admin.host}:${adminPort} (${adminVariable})` };
  checkAdminClash(servers, admin, publicPort !== null || adminPort !== null ? ` (check ${publicVariable} / ${adminVariable})` : '');
  return { ...config, servers, admin };
}

import path from 'node:path';
import { findWorkspaceRoot } from '@tenk/config';

export interface CliOptions {
  configFile: string;
  /** -t: check the configuration and exit. */
  testOnly: boolean;
  /** -T: check, then print the configuration as tenk understood it (JSON). */
  dump: boolean;
  includeDirs: string[];
  prefix: string;
  help: boolean;
  version: boolean;
}

export const USAGE = `usage: tenk-balancer [-c FILE] [-t | -T] [-I DIR]... [-p PREFIX]

  -c FILE    configuration file (default: apps/balancer/conf/tenk.conf in the workspace)
  -t         check the configuration and exit, as nginx -t
  -T         check it, then print it as tenk understood it (JSON)
  -I DIR     search DIR first for relative include paths (repeatable), e.g. a folder with
             a generated api-servers.conf that should win over the shipped one
  -p PREFIX  folder that relative root/alias/log/pid paths resolve against (default: the
             working directory)
  -h         this help;  -v  version

environment:
  TENK_BALANCER_PORT        replaces the public listen port (configurations with one port)
  TENK_BALANCER_ADMIN_PORT  replaces the admin_listen port
  TENK_CONTROL_TOKEN        the token the admin API's state changes (algorithm, reload) need,
                            as "Authorization: Bearer <token>" with a JSON body; unset: the one
                            in .tenk/control-token (TENK_STATE_DIR), made there if missing

signals: HUP reloads the configuration (a bad file keeps the running one); TERM, INT and QUIT
drain in-flight requests, then exit (a second TERM exits at once).
`;

/** Parses argv (without node and the script). Throws with a usage hint on bad arguments. */
export function parseCli(argv: readonly string[]): CliOptions {
  const options: CliOptions = {
    configFile: path.join(findWorkspaceRoot(), 'apps/balancer/conf/tenk.conf'),
    testOnly: false,
    dump: false,
    includeDirs: [],
    prefix: process.cwd(),
    help: false,
    version: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined || next.startsWith('-')) throw new Error(`${arg} needs a value\n\n${USAGE}`);
      return next;
    };
    switch (arg) {
      case '-c':
        options.configFile = value();
        break;
      case '-t':
        options.testOnly = true;
        break;
      case '-T':
        options.testOnly = true;
        options.dump = true;
        break;
      case '-I':
        options.includeDirs.push(value());
        break;
      case '-p':
        options.prefix = path.resolve(value());
        break;
      case '-h':
      case '--help':
        options.help = true;
        break;
      case '-v':
      case '--version':
        options.version = true;
        break;
      default:
        throw new Error(`unknown argument "${arg}"\n\n${USAGE}`);
    }
  }
  return options;
}

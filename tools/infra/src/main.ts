/**
 * tools/infra: the local stack from nothing.
 *   npm run infra -- up [service...]      install what is missing, start, wait until healthy
 *   npm run infra -- down [service...]    stop (only what this tool started)
 *   npm run infra -- status               a table: service, ports, pid, health, details
 *   npm run infra -- reset                wipe all data and logs, start again
 *   npm run infra -- install chromium     optional packages (chromium, nginx, wrk, docker, docker-compose, debootstrap)
 * Services: postgres-primary, postgres-replica, redis-cache, redis-queue, kafka, smtp-sink,
 * jaeger (optional: built once with the machine's Go; the shop runs without it).
 */
import { isConfigError, loadConfig } from '@tenk/config';
import { ensurePackages } from './packages';
import { ensureStackSecrets } from './secrets';
import { down, OPTIONAL_PACKAGES, reset, status, up, type Log } from './stack';

const COMMANDS = ['up', 'down', 'status', 'reset', 'install'] as const;

const log: Log = (service, line) => process.stdout.write(`[infra] ${service.padEnd(16)} ${line}\n`);

async function main(): Promise<number> {
  const [command, ...names] = process.argv.slice(2);
  if (!command || !(COMMANDS as readonly string[]).includes(command)) {
    process.stderr.write(`usage: npm run infra -- ${COMMANDS.join(' | ')} [service...]\n`);
    return 2;
  }
  let config = loadConfig();
  const started = Date.now();
  if (command === 'up' || command === 'reset') {
    // The machine's passwords first (made once, .tenk/secrets.env): every client reads them from there.
    ensureStackSecrets(config.paths.state, (line) => log('secrets', line));
    config = loadConfig();
  }
  switch (command) {
    case 'up':
      await up(config, names, log);
      await printStatus();
      process.stdout.write(
        `[infra] stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s; data and logs in ${config.paths.state}\n`,
      );
      return 0;
    case 'down':
      await down(config, names, log);
      process.stdout.write('[infra] stopped\n');
      return 0;
    case 'reset':
      await reset(config, log);
      await printStatus();
      return 0;
    case 'install': {
      const unknown = names.filter((name) => !(name in OPTIONAL_PACKAGES));
      if (names.length === 0 || unknown.length > 0) {
        process.stderr.write(`install takes one or more of: ${Object.keys(OPTIONAL_PACKAGES).join(', ')}\n`);
        return 2;
      }
      await ensurePackages(
        names.map((name) => OPTIONAL_PACKAGES[name]),
        (line) => log('packages', line),
      );
      return 0;
    }
    default:
      return (await printStatus()) ? 0 : 1;
  }

  async function printStatus(): Promise<boolean> {
    const rows = await status(config);
    const table = [
      ['SERVICE', 'PORTS', 'PID', 'STATE', 'DETAIL'],
      ...rows.map((row) => [
        row.name,
        row.ports.join(','),
        row.pid ? String(row.pid) : '-',
        row.healthy ? 'healthy' : row.running ? 'UNHEALTHY' : row.optional ? 'stopped (optional)' : 'stopped',
        row.detail ?? '',
      ]),
    ];
    const widths = table[0].map((_, column) => Math.max(...table.map((line) => line[column].length)));
    for (const line of table)
      process.stdout.write(
        `${line
          .map((cell, column) => cell.padEnd(widths[column]))
          .join('  ')
          .trimEnd()}\n`,
      );
    return rows.every((row) => row.healthy || row.optional);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`[infra] ${isConfigError(error) ? error.message : error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);

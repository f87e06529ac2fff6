/**
 * tools/hosts: the shop across many hosts, on one machine (Linux network namespaces on a
 * private bridge; root needed).
 *   npm run hosts -- up                 build the hosts, start every server on its host, migrate
 *   npm run hosts -- shop               run the shop on the hosts (apis on app-1/app-2, workers on workers; Ctrl-C stops it)
 *   npm run hosts -- status             every host: address, link, what runs there, health
 *   npm run hosts -- partition HOST     cut a host off the bridge (both ways)
 *   npm run hosts -- partition HOST in  one way: the host hears nothing (what it sends still leaves)
 *   npm run hosts -- partition HOST out one way: nothing it sends leaves (it still hears everything)
 *   npm run hosts -- heal HOST          put it back (either kind of cut)
 *   npm run hosts -- down               stop the servers, remove the hosts and the bridge
 */
import { isConfigError } from '@tenk/config';
import { startControlServer } from '@tenk/shop';
import { startHostsShop } from './hosts-shop';
import { ensurePackages } from '@tenk/infra';
import { CUT_DIRECTIONS, heal, missingForHosts, networkExists, ONE_WAY_PACKAGES, partition, type CutDirection } from './network';
import { down, hostViews, status, up, useHostsEnv, type Log } from './stack';
import { host, HOST_NAMES } from './topology';

const COMMANDS = ['up', 'down', 'status', 'partition', 'heal', 'shop'] as const;

const log: Log = (who, line) => process.stdout.write(`[hosts] ${who.padEnd(18)} ${line}\n`);

async function printStatus(): Promise<boolean> {
  if (!(await networkExists())) {
    process.stdout.write('[hosts] no hosts: `npm run hosts -- up` builds them\n');
    return false;
  }
  const rows = await status();
  const table = [['HOST', 'ADDRESS', 'LINK', 'SERVICE', 'STATE', 'DETAIL']];
  for (const row of rows) {
    const listed = [...row.services, ...row.shop];
    const services = listed.length > 0 ? listed : [{ name: '-', running: false, healthy: false, detail: row.runs }];
    services.forEach((service, i) =>
      table.push([
        i === 0 ? row.host : '',
        i === 0 ? row.address : '',
        i === 0 ? row.link : '',
        service.name,
        service.name === '-' ? '' : service.healthy ? 'healthy' : service.running ? 'UNHEALTHY' : 'stopped',
        (service.detail ?? '').slice(0, 90),
      ]),
    );
  }
  const widths = table[0].map((_, column) => Math.max(...table.map((line) => line[column].length)));
  for (const line of table)
    process.stdout.write(
      `${line
        .map((cell, column) => cell.padEnd(widths[column]))
        .join('  ')
        .trimEnd()}\n`,
    );
  const cut = rows.filter((row) => row.link !== 'up').map((row) => row.host);
  process.stdout.write(`[hosts] links: ${cut.length === 0 ? 'every host on the bridge' : `cut off: ${cut.join(', ')}`}\n`);
  return rows.every((row) => row.link === 'up' && row.services.every((service) => service.healthy));
}

async function main(): Promise<number> {
  const [command, name, way] = process.argv.slice(2);
  if (!command || !(COMMANDS as readonly string[]).includes(command)) {
    process.stderr.write(`usage: npm run hosts -- ${COMMANDS.join(' | ')} [HOST]\nHosts: ${HOST_NAMES.join(', ')}\n`);
    return 2;
  }
  const missing = missingForHosts();
  if (missing) {
    process.stderr.write(`[hosts] cannot build hosts here: ${missing}\n`);
    return 1;
  }
  const started = Date.now();
  useHostsEnv();
  switch (command) {
    case 'up':
      await up(log);
      await printStatus();
      process.stdout.write(
        `[hosts] ready in ${((Date.now() - started) / 1000).toFixed(1)} s; \`npm run hosts -- shop\` runs the shop on them\n`,
      );
      return 0;
    case 'down':
      await down(log);
      process.stdout.write('[hosts] stopped and removed\n');
      return 0;
    case 'partition':
    case 'heal': {
      if (!name) {
        process.stderr.write(`usage: npm run hosts -- ${command} HOST (one of ${HOST_NAMES.join(', ')})\n`);
        return 2;
      }
      const target = host(name);
      if (command === 'heal') {
        await heal(target);
        log(target.name, 'back on the bridge');
        return 0;
      }
      const direction = (way ?? 'both') as CutDirection;
      if (!CUT_DIRECTIONS.includes(direction)) {
        process.stderr.write(`usage: npm run hosts -- partition HOST [in|out] (got "${way}": in, out, or nothing for both ways)\n`);
        return 2;
      }
      if (direction !== 'both') await ensurePackages(ONE_WAY_PACKAGES, (line) => log('packages', line));
      await partition(target, direction);
      log(
        target.name,
        direction === 'both'
          ? 'cut off the bridge (both ways)'
          : direction === 'in'
            ? 'cut one way: nothing reaches it (what it sends still leaves)'
            : 'cut one way: nothing it sends leaves (it still hears everything)',
      );
      return 0;
    }
    case 'shop':
      return runShop();
    default:
      return (await printStatus()) ? 0 : 1;
  }
}

/** The shop on the hosts, in the foreground like `npm start` (the stack must be up). */
async function runShop(): Promise<number> {
  const shop = await startHostsShop({ restartOnCrash: true, log: (line) => log('shop', line) });
  // The map (on this machine, like the balancer) reads the hosts and their links from here.
  const control = await startControlServer(shop, shop.config.services.shopControlPort, { hosts: hostViews });
  log(
    'shop',
    `running: ${shop.urls.shop}/ (balancer on this machine), apis ${shop.urls.apis.join(' ')}, map with the hosts ${shop.urls.map}; Ctrl-C stops it`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  control.close();
  await shop.stop();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`[hosts] ${isConfigError(error) || error instanceof Error ? (error as Error).message : String(error)}\n`);
    process.exit(1);
  },
);

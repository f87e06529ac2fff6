/**
 * `npm start` (after tools/bootstrap installed dependencies): the whole shop on this machine.
 * Brings the local stack up, builds, migrates, starts payment-sim, the api instances, the
 * workers and the balancer, waits until all are healthy, prints where to open it. Ctrl-C
 * stops the apps; the stack keeps running (npm run infra -- down stops it).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { startControlServer } from './control-server';
import { Shop } from './shop';
import { startedIn } from './started-in';

const ROOT = path.resolve(__dirname, '../../..');

function step(title: string, command: string[]): void {
  const started = Date.now();
  console.log(`\n==> ${title}`);
  const result = spawnSync(process.execPath, command, { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`\n${title} failed (exit ${result.status}); see the output above.`);
    process.exit(result.status ?? 1);
  }
  console.log(`    done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** `npm start` from the first moment (tools/bootstrap notes it before installing), else from here. */
function commandStartedAt(now: number): number {
  const noted = Number(process.env['TENK_COMMAND_STARTED_AT']);
  delete process.env['TENK_COMMAND_STARTED_AT'];
  return Number.isFinite(noted) && noted > 0 && noted <= now ? noted : now;
}

async function main(): Promise<void> {
  const started = Date.now();
  const commandStarted = commandStartedAt(started);
  const register = ['-r', path.join(ROOT, 'tools/register.cjs')];
  step('Build (swc + Vite)', [...register, 'tools/build/src/main.ts']);
  step('Local stack: PostgreSQL primary + replica, Redis x2, Kafka, SMTP sink, Jaeger', [...register, 'tools/infra/src/main.ts', 'up']);
  step('Migrations and seed data', [...register, 'tools/db/src/migrate.ts']);

  console.log('\n==> Starting the shop');
  const shop = await Shop.start({ restartOnCrash: true, log: (line) => console.log(`    ${line}`) });
  const control = await startControlServer(shop, shop.config.services.shopControlPort);
  const urls = shop.urls;
  const tokenFile = path.relative(process.cwd(), shop.controlTokenFile) || shop.controlTokenFile;
  const lines = [
    `tenk is running (${startedIn(commandStarted, started, Date.now())})`,
    '',
    `  Shop (through the balancer)   ${urls.shop}/`,
    `  Become admin (once)           npm run admin -- create --email you@example.com`,
    `  API docs (Swagger, api-1)     ${urls.docs}`,
    `  Health                        ${urls.health}`,
    `  Balancer status               ${urls.balancerAdmin}`,
    `  Live architecture map         ${urls.map}?token=${shop.controlToken}`,
    `  Mail sent (SMTP sink)         ${urls.mail}`,
    `  Slow requests & traces        ${shop.tracing ? urls.traces : 'off: Jaeger is not running (npm run infra -- up jaeger)'}`,
    `  api instances                 ${urls.apis.join('  ')}`,
    '',
    `  The map link carries this run's control token, new at every start (also in ${tokenFile}):`,
    `  the map, the balancer's admin, payment-sim's admin and the launcher (:${shop.config.services.shopControlPort}) change nothing`,
    '  without it. Keep it to yourself.',
    '',
    `  Logs: ${path.relative(process.cwd(), shop.config.paths.logs) || shop.config.paths.logs}/   Stack: npm run infra -- status`,
    '  Ctrl-C stops the apps; `npm run infra -- down` stops the databases, Redis and Kafka.',
  ];
  const width = Math.max(...lines.map((line) => line.length)) + 2;
  console.log(`\n+${'-'.repeat(width)}+\n${lines.map((line) => `| ${line.padEnd(width - 1)}|`).join('\n')}\n+${'-'.repeat(width)}+\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the apps (finishing in-flight requests)...`);
    control.close();
    shop.stop().then(
      () => {
        console.log('stopped. The stack is still up: `npm run infra -- down` stops it.');
        process.exit(0);
      },
      (error: unknown) => {
        console.error(`error while stopping: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(`\nnpm start failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
